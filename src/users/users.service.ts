import { Injectable, NotFoundException } from '@nestjs/common';
import type { User } from '../upstream/event-api.models';
import { EventGateway } from '../upstream/event-gateway';

@Injectable()
export class UsersService {
  constructor(private readonly gateway: EventGateway) {}

  getUsers(): Promise<User[]> {
    return this.gateway.getUsers();
  }

  async getUser(id: string): Promise<User> {
    const user = await this.gateway.getUserById(id);
    if (!user) throw new NotFoundException(`User "${id}" not found`);
    return user;
  }
}
