//! Log files: numbering, rotation by rename, tail, cursors and following across rotations.

use voicefleet_core::logs::{
    LogFiles, LogFollower, LogLimits, LogWriter, MAX_LINE_BYTES, Stream, StreamFilter,
};
use voicefleet_tests::scratch;

fn small() -> LogLimits {
    LogLimits { max_file_bytes: 4096, keep_files: 3 }
}

#[test]
fn lines_are_numbered_and_numbering_survives_a_new_writer() {
    let dir = scratch();
    let mut writer = LogWriter::open(dir.path(), LogLimits::default()).unwrap();
    writer.write(Stream::Stdout, b"one", 1).unwrap();
    writer.write(Stream::Stderr, b"two", 2).unwrap();
    writer.flush().unwrap();
    drop(writer);
    let mut writer = LogWriter::open(dir.path(), LogLimits::default()).unwrap();
    assert_eq!(writer.next_seq(), 3);
    writer.write(Stream::Stdout, b"three with  spaces ", 3).unwrap();
    writer.flush().unwrap();
    let lines = LogFiles::new(dir.path()).tail(10, StreamFilter::All).unwrap();
    let summary: Vec<(u64, Stream, &str)> =
        lines.iter().map(|l| (l.seq, l.stream, l.text.as_str())).collect();
    assert_eq!(
        summary,
        [(1, Stream::Stdout, "one"), (2, Stream::Stderr, "two"), (3, Stream::Stdout, "three with  spaces ")]
    );
    let stderr = LogFiles::new(dir.path()).tail(10, StreamFilter::Only(Stream::Stderr)).unwrap();
    assert_eq!(stderr.len(), 1);
}

#[test]
fn rotation_is_by_rename_and_keeps_n_files() {
    let dir = scratch();
    let mut writer = LogWriter::open(dir.path(), small()).unwrap();
    for i in 0..1000 {
        writer.write(Stream::Stdout, format!("line {i:04} {}", "x".repeat(40)).as_bytes(), i).unwrap();
    }
    writer.flush().unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["agent.log", "agent.log.1", "agent.log.2", "agent.log.3"]);
    for name in &names {
        assert!(std::fs::metadata(dir.path().join(name)).unwrap().len() <= 4096, "{name}");
    }
    let files = LogFiles::new(dir.path());
    assert_eq!(files.last_seq().unwrap(), 1000);
    // Everything still stored is contiguous and ends at the last line.
    let kept = files.read_after(0, usize::MAX, StreamFilter::All).unwrap();
    assert_eq!(kept.last().unwrap().seq, 1000);
    assert!(kept.windows(2).all(|w| w[1].seq == w[0].seq + 1));
    // Tail crosses file boundaries.
    let tail = files.tail(150, StreamFilter::All).unwrap();
    assert_eq!(tail.len(), 150);
    assert_eq!(tail.first().unwrap().seq, 851);
}

#[test]
fn cursors_resume_exactly() {
    let dir = scratch();
    let mut writer = LogWriter::open(dir.path(), small()).unwrap();
    for i in 0..300 {
        writer.write(Stream::Stdout, format!("line {i}").as_bytes(), i).unwrap();
    }
    writer.flush().unwrap();
    let files = LogFiles::new(dir.path());
    let mut cursor = files.read_after(0, 1, StreamFilter::All).unwrap()[0].seq - 1;
    let mut seen = Vec::new();
    loop {
        let page = files.read_after(cursor, 37, StreamFilter::All).unwrap();
        if page.is_empty() {
            break;
        }
        cursor = page.last().unwrap().seq;
        seen.extend(page.into_iter().map(|l| l.seq));
    }
    assert_eq!(*seen.last().unwrap(), 300);
    assert!(seen.windows(2).all(|w| w[1] == w[0] + 1), "no gap, no repeat");
    // A cursor from a request (`Last-Event-ID: 18446744073709551615`) reads nothing, never panics.
    assert!(files.read_after(u64::MAX, 10, StreamFilter::All).unwrap().is_empty());
    assert!(files.read_after(u64::MAX - 1, 10, StreamFilter::All).unwrap().is_empty());
}

#[test]
fn long_lines_are_split_not_dropped() {
    let dir = scratch();
    let mut writer = LogWriter::open(dir.path(), LogLimits::default()).unwrap();
    let long = "é".repeat(MAX_LINE_BYTES + 10); // 2 bytes each: just over two pieces
    let last = writer.write(Stream::Stdout, long.as_bytes(), 0).unwrap();
    writer.flush().unwrap();
    assert_eq!(last, 3);
    let lines = LogFiles::new(dir.path()).tail(10, StreamFilter::All).unwrap();
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|l| l.text.len() <= MAX_LINE_BYTES));
    assert_eq!(lines.iter().map(|l| l.text.as_str()).collect::<String>(), long, "no character was cut");
}

#[test]
fn a_follower_sees_every_line_once_across_rotations() {
    let dir = scratch();
    let mut writer = LogWriter::open(dir.path(), small()).unwrap();
    let mut follower = LogFollower::new(LogFiles::new(dir.path()), 0);
    let mut seen = Vec::new();
    for round in 0..50u64 {
        for i in 0..20u64 {
            writer
                .write(Stream::Stdout, format!("r{round} i{i} {}", "y".repeat(30)).as_bytes(), round)
                .unwrap();
        }
        // Sometimes flush (readers see complete and partial lines), sometimes not.
        if round % 3 != 0 {
            writer.flush().unwrap();
        }
        seen.extend(follower.poll().unwrap().into_iter().map(|l| l.seq));
    }
    writer.flush().unwrap();
    seen.extend(follower.poll().unwrap().into_iter().map(|l| l.seq));
    assert_eq!(seen, (1..=1000).collect::<Vec<u64>>());
    assert_eq!(follower.cursor(), 1000);
}

#[test]
fn a_follower_started_late_catches_up_from_its_cursor() {
    let dir = scratch();
    let mut writer = LogWriter::open(dir.path(), small()).unwrap();
    for i in 0..200 {
        writer.write(Stream::Stderr, format!("early {i}").as_bytes(), 0).unwrap();
    }
    writer.flush().unwrap();
    let mut follower = LogFollower::new(LogFiles::new(dir.path()), 150);
    let first = follower.poll().unwrap();
    assert_eq!(first.first().unwrap().seq, 151);
    assert_eq!(first.last().unwrap().seq, 200);
    assert!(follower.poll().unwrap().is_empty());
}

#[test]
fn lines_that_cannot_be_written_are_counted_and_writing_carries_on() {
    let dir = scratch();
    // The log is a device that is always full (ENOSPC on every write).
    std::os::unix::fs::symlink("/dev/full", dir.path().join("agent.log")).unwrap();
    let mut writer = LogWriter::open(dir.path(), LogLimits::default()).unwrap();
    for i in 0..3 {
        writer.write(Stream::Stdout, format!("line {i}").as_bytes(), i).unwrap();
    }
    let error = writer.flush().unwrap_err();
    assert_eq!(error.raw_os_error(), Some(28), "{error}");
    assert_eq!(writer.dropped_lines(), 3);
    // Numbering goes on (a reader sees the gap), and so do the counts.
    assert_eq!(writer.next_seq(), 4);
    writer.write(Stream::Stderr, b"more", 4).unwrap();
    writer.write(Stream::Stdout, b"and more", 5).unwrap();
    assert!(writer.flush().is_err());
    assert_eq!(writer.dropped_lines(), 5);
    // Nothing is held back in memory: a flush with nothing buffered succeeds.
    writer.flush().unwrap();
    assert_eq!(writer.dropped_lines(), 5);
}
