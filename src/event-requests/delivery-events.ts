import { Emitter } from '../common';
import { Injectable } from '@nestjs/common';

/** How one delivery attempt ended, for metrics. */
export type DeliveryOutcome =
  'delivered' | 'already_delivered' | 'postponed' | 'retry' | 'refused' | 'expired';

/** Where the worker reports its attempts; metrics subscribe. */
@Injectable()
export class DeliveryEvents extends Emitter<DeliveryOutcome> {}
