import { Module } from '@nestjs/common';
import { EventCreationModule } from '../event-creation/event-creation.module';
import { EventsModule } from '../events/events.module';
import { UsersModule } from '../users/users.module';
import { DeprecationHeadersHook } from './deprecation-headers.hook';
import { LegacyController } from './legacy.controller';

/** The original system's deprecated paths, served by the Users and Events services. */
@Module({
  imports: [UsersModule, EventsModule, EventCreationModule],
  controllers: [LegacyController],
  providers: [DeprecationHeadersHook],
})
export class LegacyModule {}
