import 'reflect-metadata';
import { Logger } from '@nestjs/common';

// Tests that are about logging spy on the Logger; everything else stays quiet.
Logger.overrideLogger(false);
