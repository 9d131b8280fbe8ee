import { HostSlots } from './HostSlots';

describe('HostSlots', () => {
  const a = (n: number) => `http://a.test/${n}.tgz`;
  const b = 'http://b.test:8080/x.tgz';

  it('bounds the downloads per host, and hosts independently', () => {
    const slots = new HostSlots(2);
    const first = slots.tryAcquire(a(1));
    const second = slots.tryAcquire(a(2));
    expect(first).toBeDefined();
    expect(second).toBeDefined();
    expect(slots.tryAcquire(a(3))).toBeUndefined();
    expect(slots.hasRoom(a(3))).toBe(false);
    expect(slots.tryAcquire(b)).toBeDefined();
    first!();
    // Releasing twice gives back one slot only.
    first!();
    expect(slots.tryAcquire(a(3))).toBeDefined();
    expect(slots.tryAcquire(a(4))).toBeUndefined();
  });

  it('never waits for a host whose speed is unknown or slow', async () => {
    const slots = new HostSlots(1);
    const held = slots.tryAcquire(a(1))!;
    // Unknown: nothing finished yet (a stalled host looks like this).
    expect(await slots.acquire(a(2), 60_000)).toBeUndefined();
    held(120_000);
    slots.tryAcquire(a(3));
    // Slow: its last download took two minutes.
    expect(await slots.acquire(a(4), 60_000)).toBeUndefined();
  });

  it("hands a quick host's freed slot to the job waiting for it, before any newcomer", async () => {
    const slots = new HostSlots(1);
    slots.tryAcquire(a(1))!(5);
    const held = slots.tryAcquire(a(2))!;
    const waiting = slots.acquire(a(3), 60_000);
    held(5);
    // Handed over: a newcomer finds the host full.
    expect(slots.tryAcquire(a(4))).toBeUndefined();
    const release = await waiting;
    expect(release).toBeDefined();
    release!(5);
    expect(slots.tryAcquire(a(4))).toBeDefined();
  });

  it('gives up waiting after the bound', async () => {
    const slots = new HostSlots(1);
    slots.tryAcquire(a(1))!(5);
    slots.tryAcquire(a(2));
    expect(await slots.acquire(a(3), 20)).toBeUndefined();
  });
});
