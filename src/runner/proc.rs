//! Parsers for the `/proc` files the recorder samples, as pure functions over their text, and the
//! shares one interval's two readings give. Linux's formats: proc(5).

/// One `cpu` line of `/proc/stat`, in clock ticks since boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CpuTimes {
    pub user: u64,
    pub nice: u64,
    pub system: u64,
    pub idle: u64,
    pub iowait: u64,
    pub irq: u64,
    pub softirq: u64,
    pub steal: u64,
}

/// `/proc/stat`'s CPU lines: the machine's sum and each online CPU's, by number.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatSnapshot {
    pub total: CpuTimes,
    pub per_cpu: Vec<(u32, CpuTimes)>,
}

/// Reads the `cpu` and `cpuN` lines; `None` when the machine's line is missing or malformed.
/// Kernels before 2.6.11 wrote fewer columns: the missing ones read as 0.
pub fn parse_stat(text: &str) -> Option<StatSnapshot> {
    let mut total = None;
    let mut per_cpu = Vec::new();
    for line in text.lines() {
        let mut fields = line.split_ascii_whitespace();
        let Some(label) = fields.next() else { continue };
        let Some(rest) = label.strip_prefix("cpu") else {
            continue;
        };
        let mut values = [0u64; 8];
        let mut count = 0;
        for (slot, field) in values.iter_mut().zip(fields) {
            *slot = field.parse().ok()?;
            count += 1;
        }
        // user, nice, system, idle are in every kernel's format.
        if count < 4 {
            return None;
        }
        let [user, nice, system, idle, iowait, irq, softirq, steal] = values;
        let times = CpuTimes {
            user,
            nice,
            system,
            idle,
            iowait,
            irq,
            softirq,
            steal,
        };
        if rest.is_empty() {
            total = Some(times);
        } else {
            per_cpu.push((rest.parse().ok()?, times));
        }
    }
    Some(StatSnapshot {
        total: total?,
        per_cpu,
    })
}

/// How one interval's CPU time was spent, as shares of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CpuShares {
    pub busy: f64,
    pub steal: f64,
    pub iowait: f64,
    /// The busiest CPU's busy share (of the CPUs online at both readings).
    pub busiest_cpu: f64,
}

/// Shares of the interval between two readings. A counter that went backwards (a 32-bit counter
/// wrapping on an old kernel, iowait that the kernel is known to step back on idle CPUs) counts as
/// no time rather than as years; a CPU present in only one reading (hot-plugged) is left out of
/// `busiest_cpu`. `None` when no tick passed.
pub fn cpu_shares(before: &StatSnapshot, after: &StatSnapshot) -> Option<CpuShares> {
    let (busy, steal, iowait, all) = deltas(&before.total, &after.total);
    if all == 0 {
        return None;
    }
    let share = |part: u64| part as f64 / all as f64;
    let busiest_cpu = after
        .per_cpu
        .iter()
        .filter_map(|(n, now)| {
            let (_, then) = before.per_cpu.iter().find(|(m, _)| m == n)?;
            let (busy, _, _, all) = deltas(then, now);
            (all > 0).then(|| busy as f64 / all as f64)
        })
        .fold(0.0, f64::max);
    Some(CpuShares {
        busy: share(busy),
        steal: share(steal),
        iowait: share(iowait),
        busiest_cpu,
    })
}

/// (busy, steal, iowait, all) ticks between two readings of one line, each counter's at least 0.
/// Busy is everything but idle, iowait and steal; `guest` is not added, the kernel already counts
/// it in `user`.
fn deltas(before: &CpuTimes, after: &CpuTimes) -> (u64, u64, u64, u64) {
    let d = |f: fn(&CpuTimes) -> u64| f(after).saturating_sub(f(before));
    let busy = d(|c| c.user) + d(|c| c.nice) + d(|c| c.system) + d(|c| c.irq) + d(|c| c.softirq);
    let (steal, iowait, idle) = (d(|c| c.steal), d(|c| c.iowait), d(|c| c.idle));
    (busy, steal, iowait, busy + steal + iowait + idle)
}

/// `/proc/loadavg`: the one-minute load and the tasks runnable now (`1.75 1.05 0.43 4/145 12058`).
pub fn parse_loadavg(text: &str) -> Option<(f64, u32)> {
    let mut fields = text.split_ascii_whitespace();
    let load1: f64 = fields.next()?.parse().ok()?;
    let (runnable, _) = fields.nth(2)?.split_once('/')?;
    Some((load1, runnable.parse().ok()?))
}

/// The fields of `/proc/PID/stat` the recorder reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PidStat {
    pub pid: u32,
    pub ppid: u32,
    /// User and system ticks of the process, and of its children it has waited for.
    pub utime: u64,
    pub stime: u64,
    pub cutime: u64,
    pub cstime: u64,
    /// Ticks after boot when it started: with the pid, it names one process (pids are reused).
    pub starttime: u64,
}

impl PidStat {
    /// Its own CPU ticks and those of the children it reaped: the sum stays put when a child in
    /// the tree exits and is reaped, as the child's ticks move into the parent's `cutime`.
    pub fn ticks(&self) -> u64 {
        self.utime + self.stime + self.cutime + self.cstime
    }
}

/// Parses `/proc/PID/stat`. The command name (field 2) is in parentheses and may itself hold
/// spaces and parentheses, so the fields after it are counted from its last `)`.
pub fn parse_pid_stat(text: &str) -> Option<PidStat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    if close < open {
        return None;
    }
    let pid = text[..open].trim().parse().ok()?;
    // Field 3 (state) is the first after the name; field N is at index N - 3.
    let fields: Vec<&str> = text[close + 1..].split_ascii_whitespace().collect();
    let field = |n: usize| -> Option<u64> { fields.get(n - 3)?.parse().ok() };
    let clamp_negative = |n: usize| -> Option<u64> {
        // cutime and cstime are signed in the kernel's format (`%ld`).
        let v: i64 = fields.get(n - 3)?.parse().ok()?;
        Some(v.max(0) as u64)
    };
    Some(PidStat {
        pid,
        ppid: u32::try_from(field(4)?).ok()?,
        utime: field(14)?,
        stime: field(15)?,
        cutime: clamp_negative(16)?,
        cstime: clamp_negative(17)?,
        starttime: field(22)?,
    })
}

/// `/proc/PID/schedstat`: nanoseconds on a CPU, nanoseconds runnable but waiting for one.
pub fn parse_schedstat(text: &str) -> Option<(u64, u64)> {
    let mut fields = text.split_ascii_whitespace();
    let run = fields.next()?.parse().ok()?;
    let wait = fields.next()?.parse().ok()?;
    Some((run, wait))
}

/// `/proc/pressure/cpu`'s `some … total=N`: microseconds in which some task waited for a CPU.
pub fn parse_pressure_total(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("some "))?;
    line.split_ascii_whitespace()
        .find_map(|f| f.strip_prefix("total="))?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured on the 2-CPU development VM (kernel 5.x), one second apart under a build.
    const STAT_A: &str = "cpu  29482 0 11656 22608 566 0 91 192 0 0\n\
        cpu0 14206 0 5501 12205 260 0 6 94 0 0\n\
        cpu1 15275 0 6154 10402 305 0 85 98 0 0\n\
        intr 277474 0 0 0\nctxt 1234\nbtime 1700000000\n";
    const STAT_B: &str = "cpu  29612 0 11712 22610 566 0 92 193 0 0\n\
        cpu0 14266 0 5529 12205 260 0 6 95 0 0\n\
        cpu1 15345 0 6182 10404 305 0 86 98 0 0\n\
        intr 277999 0 0 0\n";

    #[test]
    fn two_real_readings_give_the_shares_of_the_interval() {
        let a = parse_stat(STAT_A).unwrap();
        let b = parse_stat(STAT_B).unwrap();
        assert_eq!(a.per_cpu.len(), 2);
        assert_eq!(a.total.steal, 192);
        let s = cpu_shares(&a, &b).unwrap();
        // 130 user + 56 system + 1 softirq busy, 1 steal, 2 idle: 190 ticks.
        assert!((s.busy - 187.0 / 190.0).abs() < 1e-12, "{s:?}");
        assert!((s.steal - 1.0 / 190.0).abs() < 1e-12);
        assert_eq!(s.iowait, 0.0);
        // cpu0: 60 + 28 busy, 1 steal, 0 idle; cpu1: 70 + 28 + 1 busy, 2 idle.
        assert!((s.busiest_cpu - 88.0 / 89.0).abs() < 1e-12, "{s:?}");
    }

    #[test]
    fn no_tick_between_readings_is_no_share_and_one_tick_is() {
        let a = parse_stat(STAT_A).unwrap();
        assert_eq!(cpu_shares(&a, &a), None);
        let mut b = a.clone();
        b.total.idle += 1;
        let s = cpu_shares(&a, &b).unwrap();
        assert_eq!((s.busy, s.steal), (0.0, 0.0));
    }

    #[test]
    fn a_counter_that_goes_backwards_counts_as_no_time() {
        let a = parse_stat(STAT_A).unwrap();
        let mut b = parse_stat(STAT_B).unwrap();
        // iowait stepping back (a known kernel quirk on idle CPUs), or a 32-bit counter wrapping.
        b.total.iowait = a.total.iowait - 1;
        b.total.user = 5;
        let s = cpu_shares(&a, &b).unwrap();
        assert_eq!(s.iowait, 0.0);
        // user wrapped to 5: its ticks are dropped, system and softirq stay.
        assert!((s.busy - 57.0 / 60.0).abs() < 1e-12, "{s:?}");
        // Just inside: equal counters are 0 too, one tick more is counted.
        b.total.iowait = a.total.iowait + 1;
        assert!(cpu_shares(&a, &b).unwrap().iowait > 0.0);
    }

    #[test]
    fn a_cpu_unplugged_between_readings_is_left_out_of_the_busiest() {
        let a = parse_stat(STAT_A).unwrap();
        // cpu1 went offline: the kernel stops listing it.
        let b = parse_stat(
            "cpu  29612 0 11712 22610 566 0 92 193 0 0\n\
             cpu0 14207 0 5501 12305 260 0 6 94 0 0\n",
        )
        .unwrap();
        assert_eq!(b.per_cpu.len(), 1);
        let s = cpu_shares(&a, &b).unwrap();
        assert!((s.busiest_cpu - 1.0 / 101.0).abs() < 1e-12, "{s:?}");
        // A CPU that comes online (cpu2) has no earlier reading and is left out too.
        let c = parse_stat(
            "cpu  29700 0 11712 22610 566 0 92 193 0 0\n\
             cpu0 14207 0 5501 12305 260 0 6 94 0 0\n\
             cpu2 900 0 0 0 0 0 0 0 0 0\n",
        )
        .unwrap();
        assert_eq!(cpu_shares(&b, &c).unwrap().busiest_cpu, 0.0);
    }

    #[test]
    fn an_old_kernel_with_four_columns_reads_and_three_do_not() {
        let s = parse_stat("cpu 10 0 5 100\ncpu0 10 0 5 100\n").unwrap();
        assert_eq!(s.total.idle, 100);
        assert_eq!(s.total.steal, 0);
        assert_eq!(parse_stat("cpu 10 0 5\n"), None);
        assert_eq!(parse_stat("cpu 10 0 5 x\n"), None);
        assert_eq!(parse_stat("intr 1 2 3\n"), None);
    }

    #[test]
    fn loadavg_gives_the_minute_load_and_the_runnable_tasks() {
        assert_eq!(
            parse_loadavg("1.75 1.05 0.43 4/145 12058\n"),
            Some((1.75, 4))
        );
        assert_eq!(parse_loadavg("1.75 1.05 0.43 4145 12058\n"), None);
        assert_eq!(parse_loadavg(""), None);
    }

    #[test]
    fn a_pid_stat_is_read_past_a_name_with_spaces_and_parentheses() {
        // A real process named `x) R (y`, as the kernel wrote it.
        let line = "13138 (x) R (y) S 1 13134 5102 0 -1 4194304 139 0 0 0 0 0 0 0 20 0 1 0 32727 2990080 416 18446744073709551615 94780126756864 94780126774793 140724254357136 0 0 0 0 6 0 1 0 0 17 1 0 0 0 0 0 94780126788880 94780126790144 94780524949504 140724254362343 140724254362358 140724254362358 140724254363627 0";
        let s = parse_pid_stat(line).unwrap();
        assert_eq!(
            s,
            PidStat {
                pid: 13138,
                ppid: 1,
                utime: 0,
                stime: 0,
                cutime: 0,
                cstime: 0,
                starttime: 32727
            }
        );
        // PID 1 of the same machine: reaped children's ticks in cutime and cstime.
        let init = "1 (process_api) S 0 0 0 0 -1 4194560 24323 7442512 0 757 69 260 24227 6409 10 -10 40 0 33 54685696 3208 18446744073709551615 1 1 0 0 0 0 0 4096 1256 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0";
        let s = parse_pid_stat(init).unwrap();
        assert_eq!(
            (s.ppid, s.ticks(), s.starttime),
            (0, 69 + 260 + 24227 + 6409, 33)
        );
    }

    #[test]
    fn a_truncated_or_mangled_pid_stat_is_none() {
        let line =
            "12963 (cat) R 12958 12958 5102 0 -1 4194304 101 0 0 0 0 0 0 0 20 0 1 0 32547 3133440";
        assert!(parse_pid_stat(line).is_some());
        // Just short of field 22 (starttime).
        let short = "12963 (cat) R 12958 12958 5102 0 -1 4194304 101 0 0 0 0 0 0 0 20 0 1 0";
        assert_eq!(parse_pid_stat(short), None);
        assert_eq!(parse_pid_stat("12963 cat) R"), None);
        assert_eq!(parse_pid_stat(")12963 (cat R"), None);
        // A negative cutime (signed in the format) is no time, not 2^64 ticks.
        let negative = "5 (a) S 1 5 5 0 -1 0 0 0 0 0 4 2 -3 1 20 0 1 0 99";
        assert_eq!(parse_pid_stat(negative).unwrap().ticks(), 4 + 2 + 1);
    }

    #[test]
    fn schedstat_and_pressure_read_their_counters() {
        assert_eq!(
            parse_schedstat("228916981 22142958 390\n"),
            Some((228916981, 22142958))
        );
        assert_eq!(parse_schedstat("228916981\n"), None);
        let psi = "some avg10=7.62 avg60=14.07 avg300=8.00 total=35343654\n\
                   full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
        assert_eq!(parse_pressure_total(psi), Some(35343654));
        assert_eq!(parse_pressure_total("full avg10=0.00 total=5\n"), None);
    }
}
