/// <reference lib="webworker" />
import * as Comlink from 'comlink';
import { computeApi } from './api';

// The one worker that owns TF.js. The main thread never runs model code.
Comlink.expose(computeApi);
