//! Sorting a history's points into one series per scope as they are read. A day of full history is
//! two million rows over fifty scopes: a row's scope is recognised from its raw bytes (the slot
//! after the last one first, as Locust writes the scopes in the same order every second, then a
//! hash of the bytes), never by building an `EndpointKey` per row; raw spellings of one scope
//! (`""` and `None` for the aggregate, trailing Unicode spaces) share its series. Series grow to
//! what the rows so far predict for the whole input instead of doubling.

use std::collections::HashMap;
use std::mem::MaybeUninit;

use super::row::CellError;
use crate::ingest::scope::{history_scope, too_many_endpoints, MAX_ENDPOINTS};
use crate::model::{EndpointKey, History, HistoryPoint, Series};

/// The series of one stretch of a history (a part of the file, or all of it), in order of their
/// first row. A part of a file read in parallel may be seeded with the scopes of the file's first
/// lines, each with a region of the scope's final vector to write its points into (see
/// [`SeriesBuilder::seeded`]): the parts then fill one vector per scope side by side, and joining
/// them closes the gaps between the regions instead of copying the later parts' points into fresh
/// memory.
pub(super) struct SeriesBuilder<'r> {
    /// Each series' scope and whether it is the aggregate.
    keys: Vec<(EndpointKey, bool)>,
    /// The raw (method, name) bytes of each series' first row, to recognise a row without hashing.
    key_bytes: Vec<Vec<u8>>,
    series: Vec<Slot<'r>>,
    last_slot: Option<usize>,
    /// Raw scope bytes and canonical scopes, each to its slot in `series`.
    index: HashMap<Vec<u8>, usize>,
    scopes: HashMap<EndpointKey, usize>,
    key_buf: Vec<u8>,
    /// The column of `Type` and `Name` (for errors).
    method_column: Option<usize>,
    name_column: Option<usize>,
    /// Bytes read so far, and the bytes to plan the series' capacity for.
    bytes_read: u64,
    plan_bytes: u64,
    /// Rows filed so far.
    rows: u64,
    /// Seeded slots (the first `seeded`) belong to scopes of the file's first lines.
    seeded: usize,
    /// A later stretch of the file, seeded: too many scopes here is for the whole-file reader to
    /// word (it names the line where the file has them).
    later: bool,
}

/// Where one scope's points go: first `region` (a seeded slot's part of the scope's final vector;
/// empty otherwise), then `points`.
struct Slot<'r> {
    region: &'r mut [MaybeUninit<HistoryPoint>],
    filled: usize,
    points: Vec<HistoryPoint>,
    /// Whether the points came in timestamp order (as Locust writes them): then nothing needs to
    /// look at them again to know.
    in_order: bool,
    first: Option<i64>,
    last: i64,
    /// Rows filed before the scope's first row.
    first_row: u64,
}

impl<'r> Slot<'r> {
    fn new(region: &'r mut [MaybeUninit<HistoryPoint>], first_row: u64) -> Self {
        Slot {
            region,
            filled: 0,
            points: Vec::new(),
            in_order: true,
            first: None,
            last: i64::MIN,
            first_row,
        }
    }

    fn len(&self) -> usize {
        self.filled + self.points.len()
    }
}

/// What a seeded part read of one seeded scope: `filled` points at the start of its region, then
/// `overflow` (the region was too small), in file order; the first and last timestamps.
pub(super) struct SeededEnd {
    pub filled: usize,
    pub overflow: Vec<HistoryPoint>,
    pub in_order: bool,
    pub first: Option<i64>,
    pub last: i64,
}

impl SeriesBuilder<'static> {
    pub fn new(method_column: Option<usize>, name_column: Option<usize>, plan_bytes: u64) -> Self {
        SeriesBuilder {
            keys: Vec::new(),
            key_bytes: Vec::new(),
            series: Vec::new(),
            last_slot: None,
            index: HashMap::new(),
            scopes: HashMap::new(),
            key_buf: Vec::with_capacity(128),
            method_column,
            name_column,
            bytes_read: 0,
            plan_bytes,
            rows: 0,
            seeded: 0,
            later: false,
        }
    }
}

impl<'r> SeriesBuilder<'r> {
    /// Each scope's share of the rows from its first one on (0 for a scope seen fewer than eight
    /// times: too few to tell): what a seeded part's regions are sized by.
    pub fn shares(&self) -> Vec<f64> {
        self.series
            .iter()
            .map(|s| {
                let rows = self.rows.saturating_sub(s.first_row).max(1);
                if s.len() < 8 {
                    0.0
                } else {
                    (s.len() as f64 / rows as f64).min(1.0)
                }
            })
            .collect()
    }

    /// The scopes seen so far, in slot order, each with whether it is the aggregate.
    pub fn scopes(&self) -> Vec<(EndpointKey, bool)> {
        self.keys.clone()
    }

    /// A builder for another stretch of the same file that knows this one's scopes (in the same
    /// slots) and writes each one's points into `regions` (one per scope, in slot order); `later`
    /// when the stretch does not start where these scopes were seen.
    pub fn seeded<'s>(
        &self,
        later: bool,
        plan_bytes: u64,
        regions: Vec<&'s mut [MaybeUninit<HistoryPoint>]>,
    ) -> SeriesBuilder<'s> {
        debug_assert_eq!(regions.len(), self.series.len());
        SeriesBuilder {
            keys: self.keys.clone(),
            key_bytes: self.key_bytes.clone(),
            series: regions.into_iter().map(|r| Slot::new(r, 0)).collect(),
            last_slot: None,
            index: self.index.clone(),
            scopes: self.scopes.clone(),
            key_buf: Vec::with_capacity(128),
            method_column: self.method_column,
            name_column: self.name_column,
            bytes_read: 0,
            plan_bytes,
            rows: 0,
            seeded: self.series.len(),
            later,
        }
    }

    /// How many bytes of the input have been read, for the capacity plan.
    pub fn set_bytes_read(&mut self, bytes: u64) {
        self.bytes_read = bytes;
    }

    pub fn add_bytes_read(&mut self, bytes: u64) {
        self.bytes_read += bytes;
    }

    /// Appends a point to its scope's series, creating the scope on its first row. The error is
    /// for a scope that is not UTF-8 or one past `MAX_ENDPOINTS`.
    pub fn push(
        &mut self,
        method: &[u8],
        name: &[u8],
        point: HistoryPoint,
    ) -> Result<(), CellError> {
        // Locust writes the scopes in the same order every second: the row after slot k is most
        // often slot k + 1, so check that before building a key and hashing.
        let guess = match self.last_slot {
            Some(s) if s + 1 < self.series.len() => s + 1,
            _ => 0,
        };
        let slot = if self
            .key_bytes
            .get(guess)
            .is_some_and(|k| is_key(k, method, name))
        {
            guess
        } else if let Some(slot) = self.index.get(key_of(&mut self.key_buf, method, name)) {
            *slot
        } else {
            self.new_scope(method, name)?
        };
        self.last_slot = Some(slot);
        self.rows += 1;
        let slot = &mut self.series[slot];
        let timestamp = point.timestamp;
        if slot.last > timestamp {
            slot.in_order = false;
        }
        slot.last = timestamp;
        if slot.first.is_none() {
            slot.first = Some(timestamp);
        }
        if let Some(free) = slot.region.get_mut(slot.filled) {
            free.write(point);
            slot.filled += 1;
            return Ok(());
        }
        let points = &mut slot.points;
        if points.len() == points.capacity() && points.len() >= 1024 && self.bytes_read > 0 {
            // Grow once to what the scope's share of the rows so far predicts for the planned
            // bytes, instead of doubling: every doubling copies the points and touches new pages.
            let len = slot.filled + points.len();
            let predicted =
                (len as f64 * self.plan_bytes as f64 / self.bytes_read as f64 * 1.05) as usize;
            points.reserve(predicted.saturating_sub(len).max(points.len()));
        }
        points.push(point);
        Ok(())
    }

    /// The slot for raw scope bytes seen for the first time (`key_buf` holds their key): the
    /// canonical scope's, created if new.
    #[cold]
    fn new_scope(&mut self, method: &[u8], name: &[u8]) -> Result<usize, CellError> {
        let method_column = self.method_column.unwrap_or(0);
        let method =
            std::str::from_utf8(method).map_err(|_| super::row::not_utf8(method_column))?;
        let name = match self.name_column {
            Some(c) => Some(std::str::from_utf8(name).map_err(|_| super::row::not_utf8(c))?),
            None => None,
        };
        let (key, aggregated) = history_scope(method, name);
        let slot = match self.scopes.get(&key) {
            Some(&slot) => slot,
            // The aggregate plus MAX_ENDPOINTS endpoints.
            None if self.series.len() > MAX_ENDPOINTS => {
                if self.later {
                    return Err(CellError {
                        column: None,
                        message: SEEDED_TOO_MANY.to_string(),
                    });
                }
                return Err(CellError {
                    column: self.name_column,
                    message: too_many_endpoints(),
                });
            }
            None => {
                self.scopes.insert(key.clone(), self.series.len());
                self.keys.push((key, aggregated));
                self.key_bytes.push(self.key_buf.clone());
                self.series.push(Slot::new(&mut [], self.rows));
                self.series.len() - 1
            }
        };
        self.index.insert(self.key_buf.clone(), slot);
        Ok(slot)
    }

    /// The series, in order of their first row.
    pub fn finish(self) -> Vec<Series> {
        self.finish_flagged().into_iter().map(|(s, _)| s).collect()
    }

    /// The series, in order of their first row, each with whether its points are in timestamp
    /// order (for a builder that was not seeded).
    pub fn finish_flagged(self) -> Vec<(Series, bool)> {
        debug_assert_eq!(self.seeded, 0);
        self.finish_seeded().1
    }

    /// What the seeded slots read (in slot order), and the series of the scopes first seen here,
    /// in order of their first row, each with whether its points are in timestamp order.
    pub fn finish_seeded(self) -> (Vec<SeededEnd>, Vec<(Series, bool)>) {
        let mut seeded = Vec::with_capacity(self.seeded);
        let mut own = Vec::new();
        for (i, ((key, aggregated), slot)) in self.keys.into_iter().zip(self.series).enumerate() {
            if i < self.seeded {
                seeded.push(SeededEnd {
                    filled: slot.filled,
                    overflow: slot.points,
                    in_order: slot.in_order,
                    first: slot.first,
                    last: slot.last,
                });
            } else {
                let series = Series {
                    key,
                    aggregated,
                    points: slot.points,
                };
                own.push((series, slot.in_order));
            }
        }
        (seeded, own)
    }
}

/// The message of a seeded part that met more scopes than a history may have (the whole-file
/// reader takes over and words it).
pub(super) const SEEDED_TOO_MANY: &str = "too many scopes in a seeded part";

/// The aggregate first, then the endpoints in order of first appearance; every series in timestamp
/// order (a stable sort, skipped when the file is already ordered, as Locust writes it).
pub(super) fn ordered(series: Vec<Series>) -> History {
    let flagged = series
        .into_iter()
        .map(|s| {
            let in_order = s
                .points
                .windows(2)
                .all(|w| w[0].timestamp <= w[1].timestamp);
            (s, in_order)
        })
        .collect();
    ordered_flagged(flagged)
}

/// [`ordered`] for series that say whether they are in order already (the reader notices a point
/// older than the one before it as it files it): only the others are sorted.
pub(super) fn ordered_flagged(mut flagged: Vec<(Series, bool)>) -> History {
    let sort = |(s, in_order): &mut (Series, bool)| {
        if !*in_order {
            s.points.sort_by_key(|p| p.timestamp);
        }
    };
    let unordered: usize = flagged
        .iter()
        .filter(|(_, in_order)| !in_order)
        .map(|(s, _)| s.points.len())
        .sum();
    if unordered < PARALLEL_FROM_POINTS {
        flagged.iter_mut().for_each(sort);
    } else {
        crate::par::for_each_mut(&mut flagged, sort);
    }
    let mut series: Vec<Series> = flagged.into_iter().map(|(s, _)| s).collect();
    series.sort_by_key(|s| !s.aggregated);
    History { series }
}

/// Series with fewer points in all than this are ordered and joined on the calling thread.
pub(super) const PARALLEL_FROM_POINTS: usize = 1 << 18;

/// The hash key of a row's raw scope bytes: the method's length, the method, the name (the length
/// keeps `("GET,/a", "b")` apart from `("GET", "/a,b")` whatever bytes the cells hold).
fn key_of<'k>(buf: &'k mut Vec<u8>, method: &[u8], name: &[u8]) -> &'k [u8] {
    buf.clear();
    buf.extend_from_slice(&(method.len() as u64).to_le_bytes());
    buf.extend_from_slice(method);
    buf.extend_from_slice(name);
    buf
}

/// Whether `key` is `key_of(method, name)`, without building it.
#[inline(always)]
fn is_key(key: &[u8], method: &[u8], name: &[u8]) -> bool {
    key.len() == 8 + method.len() + name.len()
        && key[..8] == (method.len() as u64).to_le_bytes()
        && same(&key[8..8 + method.len()], method)
        && same(&key[8 + method.len()..], name)
}

/// `a == b` for slices of one length, a word at a time and without a call: once a row, for names
/// of a few dozen bytes, where the library's comparison spends most of its time getting started.
#[inline(always)]
fn same(a: &[u8], b: &[u8]) -> bool {
    debug_assert_eq!(a.len(), b.len());
    let n = a.len().min(b.len());
    let word = |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().expect("8 bytes"));
    if n < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    let mut i = 0;
    while i + 8 < n {
        if word(a, i) != word(b, i) {
            return false;
        }
        i += 8;
    }
    // The last eight bytes, overlapping the words already compared.
    word(a, n - 8) == word(b, n - 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(ts: i64) -> HistoryPoint {
        HistoryPoint::new(ts, 1, [None; 3], 1, 0, None)
    }

    #[test]
    fn spellings_of_one_scope_share_a_series_in_first_row_order() {
        let mut b = SeriesBuilder::new(Some(2), Some(3), 0);
        for (ts, method, name) in [
            (1, "GET", "/a"),
            (1, "", "Aggregated"),
            (2, "GET", "/a"),
            (2, "None", "Aggregated"),
            (3, "GET\u{a0}", "/a"),
        ] {
            b.push(method.as_bytes(), name.as_bytes(), point(ts))
                .unwrap();
        }
        let series = b.finish();
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].key, EndpointKey::new("GET", "/a"));
        assert_eq!(series[0].points.len(), 3);
        assert!(series[1].aggregated);
        assert_eq!(series[1].points.len(), 2);
    }

    #[test]
    fn a_point_out_of_order_is_noticed() {
        let mut b = SeriesBuilder::new(Some(2), Some(3), 0);
        for (ts, name) in [(1, "/a"), (1, "/b"), (2, "/a"), (3, "/b"), (2, "/b")] {
            b.push(b"GET", name.as_bytes(), point(ts)).unwrap();
        }
        let flags: Vec<bool> = b.finish_flagged().iter().map(|(_, f)| *f).collect();
        assert_eq!(flags, [true, false]);
    }

    #[test]
    fn key_bytes_keep_method_and_name_apart() {
        let mut buf = Vec::new();
        let a = key_of(&mut buf, b"GET,/a", b"b").to_vec();
        let b = key_of(&mut buf, b"GET", b"/a,b").to_vec();
        assert_ne!(a, b);
        assert!(is_key(&a, b"GET,/a", b"b"));
        assert!(!is_key(&a, b"GET", b"/a,b"));
    }
}
