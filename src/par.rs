//! Data parallelism over a slice with scoped threads, without a thread-pool dependency: enough for
//! the few places that need it (per-endpoint analysis of a long run, the runs of an archive, the
//! series of a long history). The calling thread works too, beside one helper per other core, and
//! every thread takes the next few items as it finishes its last: on a machine shared with other
//! work a thread that gets less of its core does less of the work, instead of holding up the rest.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::thread;

fn threads_for(len: usize) -> usize {
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    cores.clamp(1, 8).min(len.max(1))
}

/// Items taken at a time: a few rounds per thread, so that a late thread still finds work, but
/// not one at a time for thousands of small items.
fn batch_for(len: usize, threads: usize) -> usize {
    (len / (threads * 4)).max(1)
}

/// `items.iter().map(f).collect()`, in order, spread over the cores.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let batch = batch_for(items.len(), threads_for(items.len()));
    map_in(items, batch, |_: &mut (), item| f(item))
}

/// [`map`] for a few items of much work each (the series of a long history), taken one at a time
/// so that the last ones do not leave a core idle; `f` also gets its thread's `state`, made once
/// per thread and dropped as soon as the thread has no more items (before the call returns: a
/// thread-local would be freed whenever the thread's exit gets to it, maybe while the caller
/// allocates what comes next).
pub fn map_with<T: Sync, S: Default, R: Send>(
    items: &[T],
    f: impl Fn(&mut S, &T) -> R + Sync,
) -> Vec<R> {
    map_in(items, 1, f)
}

/// [`map_with`] taking `batch` items at a time.
fn map_in<T: Sync, S: Default, R: Send>(
    items: &[T],
    batch: usize,
    f: impl Fn(&mut S, &T) -> R + Sync,
) -> Vec<R> {
    let threads = threads_for(items.len());
    if threads <= 1 {
        let mut state = S::default();
        return items.iter().map(|item| f(&mut state, item)).collect();
    }
    let next = AtomicUsize::new(0);
    // Each thread's batches, by the index of their first item.
    let work = || {
        let mut state = S::default();
        let mut done: Vec<(usize, Vec<R>)> = Vec::new();
        loop {
            let from = next.fetch_add(batch, Ordering::Relaxed);
            if from >= items.len() {
                return done;
            }
            let to = (from + batch).min(items.len());
            let results = items[from..to].iter().map(|item| f(&mut state, item));
            done.push((from, results.collect()));
        }
    };
    let mut batches = thread::scope(|scope| {
        let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut batches = work();
        for h in helpers {
            batches.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        batches
    });
    batches.sort_unstable_by_key(|(from, _)| *from);
    batches
        .into_iter()
        .flat_map(|(_, results)| results)
        .collect()
}

/// `items.iter_mut().for_each(f)`, spread over the cores.
pub fn for_each_mut<T: Send>(items: &mut [T], f: impl Fn(&mut T) + Sync) {
    let threads = threads_for(items.len());
    if threads <= 1 {
        items.iter_mut().for_each(f);
        return;
    }
    let batch = batch_for(items.len(), threads);
    // The batches not yet taken; a thread holds the lock only to take one.
    let queue = Mutex::new(items.chunks_mut(batch));
    let work = || loop {
        let taken = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
        match taken {
            Some(part) => part.iter_mut().for_each(&f),
            None => return,
        }
    };
    thread::scope(|scope| {
        for _ in 1..threads {
            scope.spawn(work);
        }
        work();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_keeps_the_order() {
        for len in [0, 1, 2, 3, 7, 1001] {
            let items: Vec<u64> = (0..len).collect();
            assert_eq!(
                map(&items, |x| x * 2),
                items.iter().map(|x| x * 2).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn map_with_gives_each_thread_one_state_dropped_before_it_returns() {
        static LIVE: AtomicUsize = AtomicUsize::new(0);
        struct State(usize);
        impl Default for State {
            fn default() -> Self {
                LIVE.fetch_add(1, Ordering::SeqCst);
                State(0)
            }
        }
        impl Drop for State {
            fn drop(&mut self) {
                LIVE.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let items: Vec<u64> = (0..1001).collect();
        // Each result: the item and how many items its thread's state had seen before it.
        let seen = map_with(&items, |state: &mut State, x| {
            state.0 += 1;
            (x * 2, state.0)
        });
        assert_eq!(LIVE.load(Ordering::SeqCst), 0, "every state dropped");
        let doubled: Vec<u64> = seen.iter().map(|(x, _)| *x).collect();
        assert_eq!(doubled, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        // One state per thread: the counts restart at 1 once per thread, no more.
        let states = seen.iter().filter(|(_, n)| *n == 1).count();
        assert!((1..=threads_for(items.len())).contains(&states), "{states}");
    }

    #[test]
    fn for_each_mut_visits_every_item_once() {
        for len in [0, 1, 2, 3, 7, 1001] {
            let mut items: Vec<u64> = (0..len).collect();
            for_each_mut(&mut items, |x| *x += 1);
            assert_eq!(items, (1..len + 1).collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_thread_held_up_does_not_hold_up_the_rest() {
        if threads_for(64) < 2 {
            return;
        }
        // Item 0 waits until every item outside its batch is done: the other thread must take
        // them all (a fixed half each would leave it waiting out the timeout).
        let items: Vec<u64> = (0..64).collect();
        let batch = batch_for(items.len(), threads_for(items.len()));
        let done = AtomicUsize::new(0);
        let seen = map(&items, |&x| {
            if x == 0 {
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
                while done.load(Ordering::SeqCst) < items.len() - batch
                    && std::time::Instant::now() < deadline
                {
                    thread::sleep(std::time::Duration::from_millis(1));
                }
            } else {
                done.fetch_add(1, Ordering::SeqCst);
            }
            (x, thread::current().id())
        });
        assert_eq!(seen.iter().map(|(x, _)| *x).collect::<Vec<_>>(), items);
        let held_up = seen[0].1;
        let by_others = seen.iter().filter(|(_, id)| *id != held_up).count();
        assert_eq!(by_others, items.len() - batch);
    }
}
