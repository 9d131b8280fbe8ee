import { TaskCount } from './TaskCount';

describe('TaskCount', () => {
  it('settles once every task, and the tasks they start, have settled', async () => {
    const tasks = new TaskCount();
    const done: string[] = [];
    const later = (name: string, ms: number) => async () => {
      await new Promise(resolve => setTimeout(resolve, ms));
      done.push(name);
    };
    tasks.add(async () => {
      tasks.add(later('child', 20));
      done.push('parent');
    });
    tasks.add(later('sibling', 5));
    await tasks.settled();
    expect(done).toEqual(['parent', 'sibling', 'child']);
    expect(tasks.failure).toBeUndefined();
  });

  it('keeps the first failure and lets the other tasks finish', async () => {
    const tasks = new TaskCount();
    let finished = false;
    tasks.add(async () => {
      throw new Error('first');
    });
    tasks.add(async () => {
      await new Promise(resolve => setTimeout(resolve, 10));
      throw new Error('second');
    });
    tasks.add(async () => {
      await new Promise(resolve => setTimeout(resolve, 20));
      finished = true;
    });
    await tasks.settled();
    expect((tasks.failure as Error).message).toBe('first');
    expect(finished).toBe(true);
  });

  it('can be waited for again after more tasks are added', async () => {
    const tasks = new TaskCount();
    let runs = 0;
    const task = async () => {
      await new Promise(resolve => setTimeout(resolve, 5));
      runs += 1;
    };
    tasks.add(task);
    await tasks.settled();
    tasks.add(task);
    await tasks.settled();
    expect(runs).toBe(2);
  });

  it('is settled at once when nothing was added', async () => {
    await expect(new TaskCount().settled()).resolves.toBeUndefined();
  });
});
