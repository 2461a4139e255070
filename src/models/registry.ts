/** Imports every model loader so `loadModel` knows all formats. Import this once at an entry point. */
import './load.js';
