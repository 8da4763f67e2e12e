import { NotFoundException } from '@nestjs/common';
import type { EventGateway } from '../upstream/event-gateway';
import { strictMock } from '../testing/strict-mock';
import { UsersService } from './users.service';

describe('UsersService', () => {
  const user = { id: '1', name: 'Ada', events: ['1'] };

  it('returns the users from the gateway', async () => {
    const gateway = strictMock<EventGateway>({ getUsers: jest.fn().mockResolvedValue([user]) });
    await expect(new UsersService(gateway).getUsers()).resolves.toEqual([user]);
  });

  it('returns one user', async () => {
    const gateway = strictMock<EventGateway>({ getUserById: jest.fn().mockResolvedValue(user) });
    await expect(new UsersService(gateway).getUser('1')).resolves.toEqual(user);
    expect(gateway.getUserById).toHaveBeenCalledWith('1');
  });

  it('answers 404 for a user the upstream does not know', async () => {
    const gateway = strictMock<EventGateway>({ getUserById: jest.fn().mockResolvedValue(null) });
    await expect(new UsersService(gateway).getUser('9')).rejects.toEqual(
      new NotFoundException('User "9" not found'),
    );
  });
});
