import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CreateEventDto } from './create-event.dto';

function errorsFor(body: Record<string, unknown>): string[] {
  const dto = plainToInstance(CreateEventDto, body);
  return validateSync(dto, { whitelist: true, forbidNonWhitelisted: true }).flatMap((error) =>
    Object.values(error.constraints ?? {}),
  );
}

describe('CreateEventDto', () => {
  it('accepts a valid body and trims the name', () => {
    const dto = plainToInstance(CreateEventDto, {
      name: '  Offsite ',
      userId: 'u_1-a',
      details: 'x',
    });
    expect(validateSync(dto)).toEqual([]);
    expect(dto.name).toBe('Offsite');
  });

  it.each([
    ['a blank name', { name: '   ', userId: '1' }, /name must be longer than or equal to 1/],
    [
      'a name of 201 characters',
      { name: 'x'.repeat(201), userId: '1' },
      /name must be shorter than or equal to 200/,
    ],
    ['a numeric name', { name: 42, userId: '1' }, /name must be a string/],
    ['no userId', { name: 'x' }, /userId must be/],
    ['a numeric userId', { name: 'x', userId: 1 }, /userId must be a string/],
    ['a userId with a slash', { name: 'x', userId: '../1' }, /userId must be 1 to 64 characters/],
    [
      'a userId of 65 characters',
      { name: 'x', userId: 'a'.repeat(65) },
      /userId must be 1 to 64 characters/,
    ],
    [
      'details of 2001 characters',
      { name: 'x', userId: '1', details: 'x'.repeat(2001) },
      /details must be shorter/,
    ],
    ['an unknown property', { name: 'x', userId: '1', id: 'mine' }, /property id should not exist/],
  ])('rejects %s', (_, body, message) => {
    expect(errorsFor(body).join('\n')).toMatch(message);
  });

  it('accepts a name of exactly 200 characters after trimming', () => {
    expect(errorsFor({ name: ` ${'x'.repeat(200)} `, userId: '1' })).toEqual([]);
  });
});
