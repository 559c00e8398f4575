// file:// URIs ⇄ paths, without pulling in a URI library.
import { fileURLToPath, pathToFileURL } from 'node:url';

export const URI = {
  toPath(uri: string): string {
    return uri.startsWith('file:') ? fileURLToPath(uri) : uri;
  },
  fromPath(file: string): string {
    return pathToFileURL(file).href;
  },
};
