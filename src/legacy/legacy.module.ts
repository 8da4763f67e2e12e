import { type DynamicModule, Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { ReadCacheModule } from '../read-cache/read-cache.module';
import { UsersModule } from '../users/users.module';
import { LegacyController } from './legacy.controller';

/** The original system's deprecated paths, served by the Users and Events services. */
@Module({})
export class LegacyModule {
  /** @param creation the `EventCreationModule` the app uses (POST /addEvent shares it). */
  static register(creation: DynamicModule): DynamicModule {
    return {
      module: LegacyModule,
      imports: [UsersModule, EventsModule, ReadCacheModule, creation],
      controllers: [LegacyController],
    };
  }
}
