// The server's idle collection: one full collection after a quiet spell, only when the heap grew enough
// to be worth its pause. The end-to-end check (the real server, started as the extension starts it) is in
// server.test.ts.
import * as assert from 'node:assert/strict';
import { IdleCollector } from '../../server/src/lsp/idle-collector';

const MB = 2 ** 20;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('idle collector', () => {
  let heap: number;
  /** Calls of gc(): two per collection (the second compacts). */
  let passes: number;
  const collections = () => passes / 2;
  let logged: [number, number][];
  const collector = (delayMs = 40) =>
    new IdleCollector({
      delayMs,
      collect: () => {
        passes++;
        heap = 300 * MB;
      },
      heapUsed: () => heap,
      collected: (before, after) => logged.push([before / MB, after / MB]),
    });

  beforeEach(() => {
    heap = 1200 * MB;
    passes = 0;
    logged = [];
  });

  it('collects once, after the work stops, not while it goes on', async () => {
    const idle = collector();
    for (let i = 0; i < 5; i++) {
      idle.worked();
      await sleep(10);
    }
    assert.equal(collections(), 0, 'work kept coming within the delay');
    await sleep(80);
    assert.equal(collections(), 1);
    assert.deepEqual(logged, [[1200, 300]]);
    await sleep(80);
    assert.equal(collections(), 1, 'no work, no further collection');
  });

  it('skips a collection the heap has not grown enough for since the last one', async () => {
    const idle = collector();
    assert.equal(idle.collectNow(), true);
    heap = 340 * MB;
    idle.worked();
    await sleep(80);
    assert.equal(collections(), 1, 'a hover\'s worth of garbage is not worth a full pause');
    heap = 500 * MB;
    idle.worked();
    await sleep(80);
    assert.equal(collections(), 2);
    assert.deepEqual(logged, [[500, 300]]);
  });

  it('does nothing without global.gc, and says so', async () => {
    const idle = new IdleCollector({ collect: undefined, delayMs: 10 });
    idle.worked();
    await sleep(40);
    assert.equal(idle.collectNow(), false);
  });

  it('a disposed collector does not collect', async () => {
    const idle = collector();
    idle.worked();
    idle.dispose();
    await sleep(80);
    assert.equal(collections(), 0);
  });
});
