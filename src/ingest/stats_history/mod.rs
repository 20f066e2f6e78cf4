//! Reading `_stats_history.csv`. A day of `--csv-full-history` with 50 endpoints is two million
//! rows; reading it row by row through a general CSV reader, a String per name, a struct of eleven
//! percentiles per row, costs more time and memory than the file. Here the body is split at line
//! boundaries into one part per core (`part`), each read line by line from its own buffer; a row's
//! cells, however they were split, become a point in one place (`row`), and the point goes to its
//! scope's series (`series`). The scopes of the file's first lines get one vector each, sized from
//! how often they come there, and every part writes its points into its own region of it: joining
//! the parts moves each part's points down behind the last (memory the parts already touched)
//! instead of copying the later parts' into fresh pages. What a line reader cannot split as a CSV
//! parser would (a quoted line break, a lone carriage return, a quote inside an unquoted cell,
//! invalid UTF-8, an over-long line or header) sends the whole file to the record-by-record reader
//! (`fallback`), which shares `row` and `series`.
//!
//! Layout: `columns` (the header), `scan` and `number` (byte-level leaves), `row` (a row's cells to
//! a point; a bad row's error), `series` (points to one series per scope; the series ordered into
//! the history), `part`, `fallback`; this module ties them together and none of them imports it.
//! Nothing here imports `ingest::locust`, which calls in.

mod columns;
mod fallback;
mod number;
mod part;
mod row;
mod scan;
mod series;

#[cfg(test)]
mod parity_tests;
#[cfg(test)]
mod reference;

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::mem::MaybeUninit;
use std::path::Path;

use self::columns::{read_header, HistoryColumns};
use self::part::PartError;
use self::row::input_error;
use self::series::{
    ordered, ordered_flagged, SeededEnd, SeriesBuilder, PARALLEL_FROM_POINTS, SEEDED_TOO_MANY,
};
use crate::ingest::error::InputError;
use crate::ingest::scope::MAX_ENDPOINTS;
use crate::model::{EndpointKey, History, HistoryPoint, Series};

/// Below this, one thread reads the whole body (the calling one: a 30 s run is read in well under
/// a millisecond, less than starting a thread costs).
const PARALLEL_FROM_BYTES: u64 = 8 << 20;

/// Reads a history file, in parallel when it is large: one series per scope, the aggregate first,
/// each in timestamp order.
pub fn read(path: &Path) -> Result<History, InputError> {
    read_noted(path).map(|(history, _)| history)
}

/// Like [`read`], with the note saying how text cells were decoded when they were not UTF-8 (the
/// fall-back reader decodes them; the line reader hands it every line that is not UTF-8).
pub fn read_noted(path: &Path) -> Result<(History, Option<String>), InputError> {
    let (columns, header) = read_header(path)?;
    let io = |e: std::io::Error| InputError::file(path, format!("cannot read: {e}"));
    let whole_file = || {
        let (series, note) = fallback::read(path, &columns, &header)?;
        Ok((ordered(series), note))
    };
    let mut file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    // A header this reader cannot place (no line feed in its first 64 KiB: carriage returns only,
    // or a huge header; quotes or a lone carriage return in it): the fall-back reader decides.
    let Some(body_start) = header_end(&mut file).map_err(io)? else {
        return whole_file();
    };
    let parts = if len.saturating_sub(body_start) < PARALLEL_FROM_BYTES {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .clamp(1, 8) as u64
    };
    let bounds = boundaries(&mut file, body_start, len, parts).map_err(io)?;
    let ranges: Vec<(u64, u64)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
    let builder = |plan| SeriesBuilder::new(columns.method, columns.name, plan);
    if ranges.len() == 1 {
        // One part: read on this thread, from the file already open.
        let result = part::read_from(file, ranges[0], builder(len - body_start), &columns);
        let parts = match settle(vec![result]) {
            Ok(parts) => parts,
            Err(Settle::Fallback) => return whole_file(),
            Err(Settle::Io(e)) => return Err(io(e)),
            Err(Settle::Cell(line, error)) => return Err(input_error(path, &header, line, error)),
        };
        let series = join(parts.into_iter().map(|p| p.finish_flagged()).collect());
        return Ok((ordered_flagged(series), None));
    }
    drop(file);
    // The scopes of the file's first lines, and how often each comes: every part writes those
    // scopes' points into its own region of one vector per scope, sized from those rates.
    let seed = seed(path, &columns, ranges[0]).unwrap_or_else(|| builder(0));
    let scopes = seed.scopes();
    let part_bytes: Vec<u64> = ranges.iter().map(|(from, to)| to - from).collect();
    let part_rows: Vec<f64> = ranges.iter().map(|&range| rows_in(path, range)).collect();
    let sizes: Vec<Vec<usize>> = seed
        .shares()
        .iter()
        .map(|share| region_sizes(*share, &part_rows))
        .collect();
    let mut storage: Vec<Vec<HistoryPoint>> = sizes
        .iter()
        .map(|s| Vec::with_capacity(s.iter().sum()))
        .collect();
    let results = {
        let mut regions: Vec<Vec<&mut [MaybeUninit<HistoryPoint>]>> = ranges
            .iter()
            .map(|_| Vec::with_capacity(storage.len()))
            .collect();
        for (points, sizes) in storage.iter_mut().zip(&sizes) {
            let mut rest = points.spare_capacity_mut();
            for (part, &size) in regions.iter_mut().zip(sizes) {
                let (region, tail) = std::mem::take(&mut rest).split_at_mut(size);
                part.push(region);
                rest = tail;
            }
        }
        // Part 0's scopes first seen after the seed receive the later parts' points when joined:
        // size them for the whole file.
        let builders: Vec<SeriesBuilder<'_>> = regions
            .into_iter()
            .zip(&part_bytes)
            .enumerate()
            .map(|(k, (regions, &bytes))| {
                let plan = if k == 0 { len - body_start } else { bytes };
                seed.seeded(k > 0, plan, regions)
            })
            .collect();
        drop(seed);
        let columns = &columns;
        std::thread::scope(|scope| {
            // This thread reads part 0, helpers the others.
            let mut builders = builders.into_iter();
            let first = builders.next().expect("two parts or more");
            let helpers: Vec<_> = ranges[1..]
                .iter()
                .zip(builders)
                .map(|(&range, series)| {
                    scope.spawn(move || part::read(path, range, series, columns))
                })
                .collect();
            let first = part::read(path, ranges[0], first, columns);
            let results: Vec<_> = std::iter::once(first)
                .chain(
                    helpers
                        .into_iter()
                        .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))),
                )
                .collect();
            results
        })
    };
    let parts = match settle(results) {
        Ok(parts) => parts,
        Err(Settle::Fallback) => return whole_file(),
        Err(Settle::Io(e)) => return Err(io(e)),
        Err(Settle::Cell(line, error)) => return Err(input_error(path, &header, line, error)),
    };
    let (seeded, own): (Vec<_>, Vec<_>) =
        parts.into_iter().map(SeriesBuilder::finish_seeded).unzip();
    // The seeded scopes' points, each part's behind the one before.
    let mut by_scope: Vec<Closing<'_>> = storage
        .into_iter()
        .zip(&sizes)
        .map(|(points, sizes)| Closing {
            points,
            sizes,
            ends: Vec::with_capacity(ranges.len()),
            in_order: true,
        })
        .collect();
    for part in seeded {
        for (scope, end) in by_scope.iter_mut().zip(part) {
            scope.ends.push(end);
        }
    }
    let close = |c: &mut Closing<'_>| {
        c.in_order = close_gaps(&mut c.points, c.sizes, std::mem::take(&mut c.ends));
    };
    if len - body_start < PARALLEL_FROM_BYTES * 4 {
        by_scope.iter_mut().for_each(close);
    } else {
        crate::par::for_each_mut(&mut by_scope, close);
    }
    let mut series: Vec<(Series, bool)> = scopes
        .into_iter()
        .zip(by_scope)
        .map(|((key, aggregated), closed)| {
            let series = Series {
                key,
                aggregated,
                points: closed.points,
            };
            (series, closed.in_order)
        })
        .collect();
    series.extend(join(own));
    if series.len() > MAX_ENDPOINTS + 1 {
        // Each part stayed under the limit but together they pass it: the fall-back reader names
        // the line where the file does.
        return whole_file();
    }
    Ok((ordered_flagged(series), None))
}

/// One seeded scope while the parts' regions are closed up: its vector, the regions' sizes, what
/// each part wrote, and whether the points are in order.
struct Closing<'s> {
    points: Vec<HistoryPoint>,
    sizes: &'s [usize],
    ends: Vec<SeededEnd>,
    in_order: bool,
}

/// Why the parts' results are not a history.
enum Settle {
    /// A part met a line only the whole-file reader reads right (or more scopes than a seeded part
    /// can word): it reads the file.
    Fallback,
    Io(std::io::Error),
    /// A bad cell on this line of the file.
    Cell(u64, row::CellError),
}

/// The parts' series, or the first part's problem, in file order (with the line of the file).
fn settle(
    results: Vec<Result<part::Part<'_>, PartError>>,
) -> Result<Vec<SeriesBuilder<'_>>, Settle> {
    // Lines are numbered from 1; the header is line 1, so part 0 starts on line 2.
    let mut line = 2u64;
    let mut parts = Vec::with_capacity(results.len());
    for result in results {
        match result {
            Ok(part) => {
                line += part.lines;
                parts.push(part.series);
            }
            Err(PartError::Fallback) => return Err(Settle::Fallback),
            Err(PartError::Io(e)) => return Err(Settle::Io(e)),
            Err(PartError::Cell { error, .. }) if error.message == SEEDED_TOO_MANY => {
                return Err(Settle::Fallback)
            }
            Err(PartError::Cell { line: local, error }) => {
                return Err(Settle::Cell(line + local, error))
            }
        }
    }
    Ok(parts)
}

/// Bytes of the file's first lines read for the seed: about 30 seconds of a day of full history.
const SEED_BYTES: u64 = 256 << 10;

/// The series of the first lines of `range` (up to `SEED_BYTES`), or `None` when they cannot be
/// read (the part reader then meets the problem and words it).
fn seed(
    path: &Path,
    columns: &HistoryColumns,
    (start, end): (u64, u64),
) -> Option<SeriesBuilder<'static>> {
    let mut file = File::open(path).ok()?;
    file.seek(SeekFrom::Start(start)).ok()?;
    let mut buf = vec![0u8; SEED_BYTES.min(end - start) as usize];
    let n = read_full(&mut file, &mut buf).ok()?;
    let cut = buf[..n].iter().rposition(|b| *b == b'\n')? as u64 + 1;
    let series = SeriesBuilder::new(columns.method, columns.name, 0);
    let part = part::read_from(file, (start, start + cut), series, columns).ok()?;
    Some(part.series)
}

/// About how many lines `range` of the file holds: its line feeds per byte in a few samples spread
/// over it (a history's lines grow longer as its totals grow).
fn rows_in(path: &Path, (start, end): (u64, u64)) -> f64 {
    const SAMPLES: u64 = 8;
    const SAMPLE_BYTES: u64 = 16 << 10;
    let Ok(mut file) = File::open(path) else {
        return 0.0;
    };
    let bytes = end - start;
    let mut buf = vec![0u8; SAMPLE_BYTES.min(bytes) as usize];
    let (mut lines, mut read) = (0usize, 0usize);
    for k in 0..SAMPLES {
        let at = start + (bytes - buf.len() as u64) * (2 * k + 1) / (2 * SAMPLES);
        if file.seek(SeekFrom::Start(at)).is_err() {
            return 0.0;
        }
        let Ok(n) = read_full(&mut file, &mut buf) else {
            return 0.0;
        };
        lines += memchr::memchr_iter(b'\n', &buf[..n]).count();
        read += n;
    }
    lines as f64 / read.max(1) as f64 * bytes as f64
}

/// A scope's region in each part, from its share of the seed's lines and the lines each part holds:
/// as many as that predicts (too few and the part's last points are inserted behind its others when
/// joined, too many and the join moves the later parts' points down as far, leaving as many pages
/// touched at the end: either way the error costs, not the direction), the last part's with room
/// to spare (never touched, it costs no memory). None for a scope too rare in the seed to size
/// (a history of thousands of endpoints): its points grow in each part and are joined by copying.
fn region_sizes(share: f64, part_rows: &[f64]) -> Vec<usize> {
    if share <= 0.0 {
        return vec![0; part_rows.len()];
    }
    let last = part_rows.len() - 1;
    part_rows
        .iter()
        .enumerate()
        .map(|(k, &rows)| {
            let predicted = share * rows;
            if k == last {
                (predicted * 1.1) as usize + 1024
            } else {
                predicted as usize + 64
            }
        })
        .collect()
}

/// One seeded scope's vector from what each part wrote into its region (`sizes`, in part order):
/// each part's points moved down behind the ones before (a move within memory the parts already
/// touched, not a copy into fresh pages), then what overflowed a region inserted behind its part's
/// others. Returns whether the points are in timestamp order, within each part and across the
/// seams.
fn close_gaps(points: &mut Vec<HistoryPoint>, sizes: &[usize], ends: Vec<SeededEnd>) -> bool {
    debug_assert!(points.is_empty());
    let spare = points.spare_capacity_mut();
    let (mut written, mut start) = (0, 0);
    for (size, end) in sizes.iter().zip(&ends) {
        if start != written {
            spare.copy_within(start..start + end.filled, written);
        }
        written += end.filled;
        start += size;
    }
    // SAFETY: each part wrote the first `filled` slots of its region, and the loop moved them, in
    // part order, to the first `written` slots (`written <= start`: a region holds at most its size).
    unsafe { points.set_len(written) };
    let (mut at, mut in_order, mut last) = (0, true, None::<i64>);
    for end in ends {
        at += end.filled;
        if !end.overflow.is_empty() {
            let n = end.overflow.len();
            points.splice(at..at, end.overflow);
            at += n;
        }
        in_order &= end.in_order;
        if let Some(first) = end.first {
            in_order &= last.is_none_or(|l| l <= first);
            last = Some(end.last);
        }
    }
    // The pages behind the last point held the last part's points before they moved down (as many
    // as the first regions were too large): given back (a large vector shrinks where it is).
    points.shrink_to_fit();
    in_order
}

/// Byte offset just past the header line (a BOM included).
fn header_end(file: &mut File) -> std::io::Result<Option<u64>> {
    let mut buf = vec![0u8; 64 * 1024];
    let n = read_full(file, &mut buf)?;
    let Some(end) = buf[..n].iter().position(|b| *b == b'\n') else {
        // An empty file or a header alone without a line break: the body is empty.
        return Ok((n < buf.len() && !buf[..n].contains(&b'\r')).then_some(n as u64));
    };
    let header = &buf[..end];
    let header = header.strip_suffix(b"\r").unwrap_or(header);
    let plain = !header.contains(&b'"') && !header.contains(&b'\r');
    Ok(plain.then_some(end as u64 + 1))
}

/// As much of `buf` as the file fills (a single `read` may return less than is there).
fn read_full(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// `parts + 1` offsets, each inner one moved forward to just past a line break.
fn boundaries(file: &mut File, start: u64, end: u64, parts: u64) -> std::io::Result<Vec<u64>> {
    let mut bounds = vec![start];
    for k in 1..parts {
        let guess = start + (end - start) * k / parts;
        file.seek(SeekFrom::Start(guess))?;
        let mut buf = [0u8; 64 * 1024];
        let n = read_full(file, &mut buf)?;
        let at = buf[..n]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(end, |i| guess + i as u64 + 1);
        if at > *bounds.last().expect("not empty") && at < end {
            bounds.push(at);
        }
    }
    bounds.push(end);
    Ok(bounds)
}

/// Joins the parts' series in file order: a scope's points from part 0, then part 1, and so on.
/// Part 0's vectors are kept; the later parts' points are appended, scopes spread over the cores.
fn join(mut parts: Vec<Vec<(Series, bool)>>) -> Vec<(Series, bool)> {
    if parts.len() == 1 {
        return parts.pop().expect("one part");
    }
    let mut index: HashMap<EndpointKey, usize> = HashMap::new();
    // Each scope (and whether its points are in order) with the segments still to append to it.
    type Joining = ((Series, bool), Vec<Vec<HistoryPoint>>);
    let mut joined: Vec<Joining> = Vec::new();
    for part in parts {
        for (series, in_order) in part {
            match index.get(&series.key) {
                Some(&i) => {
                    joined[i].0 .1 &= in_order;
                    joined[i].1.push(series.points);
                }
                None => {
                    index.insert(series.key.clone(), joined.len());
                    joined.push(((series, in_order), Vec::new()));
                }
            }
        }
    }
    let append = |((series, in_order), segments): &mut Joining| {
        series
            .points
            .reserve_exact(segments.iter().map(Vec::len).sum());
        for segment in segments.drain(..) {
            // In order within each part, and across the seam.
            if let (Some(last), Some(first)) = (series.points.last(), segment.first()) {
                *in_order &= { last.timestamp } <= { first.timestamp };
            }
            series.points.extend(segment);
        }
    };
    let points: usize = joined
        .iter()
        .map(|((s, _), segments)| s.points.len() + segments.iter().map(Vec::len).sum::<usize>())
        .sum();
    if points < PARALLEL_FROM_POINTS {
        joined.iter_mut().for_each(append);
    } else {
        crate::par::for_each_mut(&mut joined, append);
    }
    joined.into_iter().map(|(series, _)| series).collect()
}

#[cfg(test)]
mod tests {
    use super::reference::read_history_rows;
    use super::*;

    const HEADER: &str = "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,Total Max Response Time,Total Average Content Size";

    fn row(ts: i64, name: &str, total: u64) -> String {
        let method = if name == "Aggregated" { "" } else { "GET" };
        format!("{ts},10,{method},{name},1.0,0.0,5,6,7,8,9,10,11,12,13,14,15,{total},0,5,5.5,1,20,100\r\n")
    }

    /// A file large enough to be read in parts, with quoted names and CRLF line ends.
    fn big_file(dir: &Path) -> std::path::PathBuf {
        let path = dir.join("h_stats_history.csv");
        let mut text = format!("{HEADER}\r\n");
        let mut total = 0;
        let mut ts = 1_700_000_000;
        while text.len() < (PARALLEL_FROM_BYTES as usize) * 2 {
            total += 3;
            text.push_str(&row(ts, "/a", total));
            text.push_str(&row(ts, "\"/b, \"\"q\"\"\"", total));
            text.push_str(&row(ts, "Aggregated", total * 2));
            ts += 1;
        }
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn the_parallel_reader_reads_what_the_row_reader_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = big_file(dir.path());
        let fast = read(&path).unwrap();
        let slow = read_history_rows(&path).unwrap();
        assert_eq!(fast, slow);
        assert_eq!(fast.series.len(), 3);
        assert!(fast.series[0].aggregated);
        assert!(fast.series.iter().any(|s| s.key.name == "/b, \"q\""));
    }

    /// Scopes whose share of the rows changes after the file's first lines (the parts' regions,
    /// sized from those lines, overflow or leave gaps), a scope seen too rarely there to be sized,
    /// scopes first seen after them in either part: the same history as the row reader's, the
    /// scopes in order of their first row.
    #[test]
    fn regions_sized_from_the_first_lines_join_whatever_the_rest_holds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r_stats_history.csv");
        let mut text = format!("{HEADER}\r\n");
        let (mut total, mut ts) = (0, 1_700_000_000);
        while text.len() < (PARALLEL_FROM_BYTES as usize) * 2 + (1 << 20) {
            total += 3;
            let second = ts - 1_700_000_000;
            let late = text.len() > 1 << 20;
            let mut names = vec!["/a", "/b"];
            if late {
                // /b three times as often, /a every other second, /d from here on.
                names = if second % 2 == 0 { vec!["/a"] } else { vec![] };
                names.extend(["/b", "/b", "/b", "/d"]);
            }
            if second < 3 || late {
                names.push("/e");
            }
            if text.len() > (PARALLEL_FROM_BYTES as usize) * 3 / 2 {
                names.push("/c");
            }
            for name in names {
                text.push_str(&row(ts, name, total));
            }
            text.push_str(&row(ts, "Aggregated", total * 2));
            ts += 1;
        }
        std::fs::write(&path, text).unwrap();
        let fast = read(&path).unwrap();
        assert_eq!(fast, read_history_rows(&path).unwrap());
        let names: Vec<&str> = fast.series.iter().map(|s| s.key.name.as_str()).collect();
        assert_eq!(names, ["Aggregated", "/a", "/b", "/e", "/d", "/c"]);
    }

    #[test]
    fn points_out_of_order_within_a_part_or_across_the_seam_are_sorted() {
        let dir = tempfile::tempdir().unwrap();
        let path = big_file(dir.path());
        let text = std::fs::read_to_string(&path).unwrap();
        let (header, body) = text.split_once("\r\n").unwrap();
        let lines: Vec<&str> = body.lines().collect();
        let (first, second) = lines.split_at(lines.len() / 2);
        // Each half in order but the second half older (the seam out of order), then every
        // line reversed (out of order within each part too).
        let seam: Vec<&str> = second.iter().chain(first).copied().collect();
        let reversed: Vec<&str> = lines.iter().rev().copied().collect();
        for order in [seam, reversed] {
            std::fs::write(&path, format!("{header}\r\n{}\r\n", order.join("\r\n"))).unwrap();
            let fast = read(&path).unwrap();
            assert_eq!(fast, read_history_rows(&path).unwrap());
            for s in &fast.series {
                assert!(s
                    .points
                    .windows(2)
                    .all(|w| w[0].timestamp <= w[1].timestamp));
            }
        }
    }

    #[test]
    fn errors_in_a_later_part_name_the_right_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = big_file(dir.path());
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.split("\r\n").collect();
        let target = lines.len() * 3 / 4;
        let mut broken: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
        broken[target] = broken[target].replacen(",10,", ",ten,", 1);
        std::fs::write(&path, broken.join("\r\n")).unwrap();
        let err = read(&path).unwrap_err();
        assert_eq!(err.line, Some(target as u64 + 1), "{err}");
        assert_eq!(err.column, Some(2));
        assert!(
            err.to_string()
                .contains("column 'User Count': expected a whole number, found 'ten'"),
            "{err}"
        );
    }

    fn cell_strategy() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            (0u32..100_000).prop_map(|v| v.to_string()),
            (0.0f64..10_000.0).prop_map(|v| v.to_string()),
            Just("N/A".to_string()),
            Just(String::new()),
        ]
    }

    fn row_strategy() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let name = prop_oneof![
            Just("/a".to_string()),
            Just("\"/b, \"\"q\"\"\"".to_string()),
            Just("Aggregated".to_string()),
            "/[a-z]{1,8}",
        ];
        (
            1_700_000_000u64..1_700_000_100,
            0u64..500,
            name,
            proptest::collection::vec(cell_strategy(), 13),
            (0u64..1 << 40, 0u64..1000),
            (0.0f64..5_000.0),
            prop_oneof![Just("\n"), Just("\r\n")],
        )
            .prop_map(|(ts, users, name, cells, (total, fails), avg, eol)| {
                let method = if name == "Aggregated" { "" } else { "GET" };
                format!(
                    "{ts},{users},{method},{name},1.5,0.0,{},{total},{fails},7,{avg},1,20,100{eol}",
                    cells[..11].join(","),
                )
            })
    }

    proptest::proptest! {
        /// The fast path (plain rows) and the careful one (quotes, N/A, empty cells) together read
        /// exactly what the general row reader reads.
        #[test]
        fn the_fast_reader_equals_the_row_reader(rows in proptest::collection::vec(row_strategy(), 1..40)) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("p_stats_history.csv");
            std::fs::write(&path, format!("{HEADER}\r\n{}", rows.concat())).unwrap();
            let fast = read(&path).map_err(|e| e.to_string());
            let slow = read_history_rows(&path).map_err(|e| e.to_string());
            proptest::prop_assert_eq!(fast, slow);
        }
    }

    #[test]
    fn a_quoted_line_break_falls_back_to_the_row_reader() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q_stats_history.csv");
        let text = format!(
            "{HEADER}\n{}{}",
            row(1, "\"/multi\nline\"", 1),
            row(1, "Aggregated", 1)
        );
        std::fs::write(&path, text).unwrap();
        let history = read(&path).unwrap();
        assert!(history.series.iter().any(|s| s.key.name == "/multi\nline"));
    }
}

#[cfg(test)]
mod code_page_tests {
    use super::*;

    /// A history whose names are GBK, taken byte for byte from a real GBK stats file (jiangbm/XFJ,
    /// read in place from ../shared/wild beside the repository, as the integration tests read it):
    /// the line reader hands it to the fall-back reader, which decodes the names.
    #[test]
    fn gbk_names_in_a_history_are_decoded_with_a_note() {
        let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
        if !shared.is_dir() {
            // As common::missing in the integration tests: skipped outside CI, a failure in it.
            let ci = std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
            assert!(
                !ci,
                "{} not found (CI=true: nothing is skipped)",
                shared.display()
            );
            // Straight to stderr: the harness would hold back an eprintln! of a passing test.
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "skipped: {} not found; this test reads other projects' result files in place: \
                 put the team's corpus (wild/, wild2/) there",
                shared.display()
            );
            return;
        }
        let stats =
            std::fs::read(shared.join("wild/xfj__quoted-v10-gbk/example_stats.csv")).unwrap();
        // Line 2's name cell: `"GET","<GBK bytes>",7690,...`.
        let line = stats.split(|b| *b == b'\n').nth(1).unwrap();
        let name = line.split(|b| *b == b',').nth(1).unwrap();
        assert!(std::str::from_utf8(name).is_err(), "the fixture is GBK");
        let header = crate::locust_format::HISTORY_HEADER;
        let mut text = format!("{header}\r\n").into_bytes();
        for ts in 0..3 {
            let row = |method: &str, name: &[u8], total: u64| {
                let mut r = format!("{},10,{method},", 1_592_202_906 + ts).into_bytes();
                r.extend_from_slice(name);
                r.extend_from_slice(
                    format!(",1.0,0.0,5,6,7,8,9,10,11,12,13,14,15,{total},0,5,5.5,1,20,100\r\n")
                        .as_bytes(),
                );
                r
            };
            text.extend(row("GET", name, ts as u64 + 1));
            text.extend(row("", b"Aggregated", ts as u64 + 1));
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("example_stats_history.csv");
        std::fs::write(&path, text).unwrap();
        let (history, note) = read_noted(&path).unwrap();
        let names: Vec<&str> = history.series.iter().map(|s| s.key.name.as_str()).collect();
        // Python's own GBK codec reads the cell as 查看影响力榜单 ("view the influence ranking").
        assert_eq!(names, ["Aggregated", "查看影响力榜单"]);
        assert_eq!(history.series[1].points.len(), 3);
        let note = note.expect("a note");
        assert!(note.contains("decoded as GBK"), "{note}");
        assert!(note.contains("line 2"), "{note}");
        // The oracle reads the same.
        assert_eq!(history, reference::read_history_rows(&path).unwrap());
    }
}
