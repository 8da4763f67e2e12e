import { Module } from '@nestjs/common';
import { EventApiModule } from '../event-api/event-api.module';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({
  imports: [EventApiModule],
  controllers: [UsersController],
  providers: [UsersService],
  exports: [UsersService],
})
export class UsersModule {}
