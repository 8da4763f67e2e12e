import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CreateEventDto } from './create-event.dto';

function errorsFor(body: Record<string, unknown>): string[] {
  const dto = plainToInstance(CreateEventDto, body);
  return validateSync(dto, {
    whitelist: true,
    forbidNonWhitelisted: true,
    stopAtFirstError: true,
  }).flatMap((error) => Object.values(error.constraints ?? {}));
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
    ['no name', { userId: '1' }, ['name is required']],
    [
      'a blank name',
      { name: '   ', userId: '1' },
      ['name must be 1 to 200 characters (after trimming)'],
    ],
    [
      'a name of 201 characters',
      { name: 'x'.repeat(201), userId: '1' },
      ['name must be 1 to 200 characters (after trimming)'],
    ],
    ['a numeric name', { name: 42, userId: '1' }, ['name must be a string']],
    ['no userId', { name: 'x' }, ['userId is required']],
    ['a numeric userId', { name: 'x', userId: 1 }, ['userId must be a string']],
    [
      'a userId with a slash',
      { name: 'x', userId: '../1' },
      ['userId must be 1 to 64 characters: letters, digits, "_" or "-"'],
    ],
    [
      'a userId of 65 characters',
      { name: 'x', userId: 'a'.repeat(65) },
      ['userId must be 1 to 64 characters: letters, digits, "_" or "-"'],
    ],
    [
      'details of 2001 characters',
      { name: 'x', userId: '1', details: 'x'.repeat(2001) },
      ['details must be at most 2000 characters'],
    ],
    [
      'details that are an object',
      { name: 'x', userId: '1', details: { a: 1 } },
      ['details must be a string'],
    ],
    [
      'an unknown property',
      { name: 'x', userId: '1', id: 'mine' },
      ['property id should not exist'],
    ],
    ['an empty body', {}, ['name is required', 'userId is required']],
  ])('rejects %s with one message per broken property', (_, body, messages) => {
    expect(errorsFor(body)).toEqual(messages);
  });

  it('accepts a name of exactly 200 characters after trimming', () => {
    expect(errorsFor({ name: ` ${'x'.repeat(200)} `, userId: '1' })).toEqual([]);
  });
});
