//! Data parallelism over a slice with scoped threads, one contiguous chunk per core: enough for the
//! few places that need it (per-endpoint analysis of a long run), without a thread-pool dependency.

use std::thread;

fn threads_for(len: usize) -> usize {
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    cores.clamp(1, 8).min(len.max(1))
}

/// `items.iter().map(f).collect()`, in order, spread over the cores.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = threads_for(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// `items.iter_mut().for_each(f)`, spread over the cores.
pub fn for_each_mut<T: Send>(items: &mut [T], f: impl Fn(&mut T) + Sync) {
    let threads = threads_for(items.len());
    if threads <= 1 {
        items.iter_mut().for_each(f);
        return;
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    thread::scope(|scope| {
        for part in items.chunks_mut(chunk) {
            scope.spawn(move || part.iter_mut().for_each(f));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_keeps_the_order() {
        let items: Vec<u64> = (0..1001).collect();
        assert_eq!(
            map(&items, |x| x * 2),
            items.iter().map(|x| x * 2).collect::<Vec<_>>()
        );
        assert!(map(&[] as &[u64], |x| *x).is_empty());
    }

    #[test]
    fn for_each_mut_visits_every_item_once() {
        let mut items: Vec<u64> = (0..1001).collect();
        for_each_mut(&mut items, |x| *x += 1);
        assert_eq!(items, (1..1002).collect::<Vec<_>>());
    }
}
