//! Writing results so that a crash (even `kill -9`) never leaves a
//! half-written file under a result's name, nor destroys the previous
//! results.
//!
//! - [`write()`]: one file, written to a temporary name in the same folder,
//!   then renamed.
//! - [`OutputSet`]: the files of one command (`results.csv`, the charts,
//!   `manifest.json`...) as a set: written into a staging folder
//!   `DIR/.gilsim-staging-<pid>-<n>/`, then moved into `DIR` once all are
//!   written. Until its commit point (a `COMMIT` file renamed into the
//!   staging folder) the previous files of `DIR` are untouched; after it,
//!   the new set is complete on disk, and the renames that follow (a few
//!   microseconds) are finished by the next command that writes into
//!   `DIR` if the process dies among them. The next command also removes
//!   what a killed one left: a staging folder without `COMMIT`, and the
//!   temporary files of [`write()`].

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The name of a staging folder starts with this.
pub const STAGING_PREFIX: &str = ".gilsim-staging-";

/// In a staging folder: the names of the files to move, once all are written.
const COMMIT: &str = "COMMIT";

/// Writes `bytes` to `path` atomically (temporary file, fsync, rename).
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("output");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Files written into one folder together: all of them, or none.
#[derive(Debug)]
pub struct OutputSet {
    dir: PathBuf,
    staging: PathBuf,
    names: Vec<String>,
    committed: bool,
}

impl OutputSet {
    /// Starts a set of files for `dir` (created if needed), after finishing
    /// or removing what an interrupted command left there.
    pub fn begin(dir: &Path) -> io::Result<OutputSet> {
        static SETS: AtomicUsize = AtomicUsize::new(0);
        fs::create_dir_all(dir)?;
        recover(dir)?;
        let staging = dir.join(format!(
            "{STAGING_PREFIX}{}-{}",
            std::process::id(),
            SETS.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir(&staging)?;
        Ok(OutputSet {
            dir: dir.to_path_buf(),
            staging,
            names: Vec::new(),
            committed: false,
        })
    }

    /// The folder the files go to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The names written so far, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Writes one file of the set. `name` is a plain file name: no folder,
    /// no `..`, nothing that could land outside the set's folder.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> io::Result<()> {
        if !is_plain_name(name) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{name}` is not a plain file name"),
            ));
        }
        let mut f = fs::File::create(self.staging.join(name))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        if !self.names.iter().any(|n| n == name) {
            self.names.push(name.to_string());
        }
        Ok(())
    }

    /// Moves every file of the set into the folder, over the previous ones.
    pub fn commit(mut self) -> io::Result<()> {
        sync_dir(&self.staging)?;
        let list = self.staging.join(format!("{COMMIT}.tmp"));
        let mut f = fs::File::create(&list)?;
        f.write_all(self.names.join("\n").as_bytes())?;
        f.sync_all()?;
        // The commit point: from here the set is complete on disk, and is
        // moved into the folder by this process or by the next command.
        fs::rename(&list, self.staging.join(COMMIT))?;
        sync_dir(&self.staging)?;
        self.committed = true;
        roll_forward(&self.dir, &self.staging)
    }
}

impl Drop for OutputSet {
    /// A set not committed (an error on the way) is removed: the folder
    /// keeps its previous files.
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// A name that stays in its folder: not empty, no separator, not `.` or
/// `..`, not a staging folder's.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && !name.starts_with(STAGING_PREFIX)
        && Path::new(name).is_relative()
}

/// Moves the files a committed staging folder lists into `dir`, then
/// removes the staging folder.
fn roll_forward(dir: &Path, staging: &Path) -> io::Result<()> {
    let list = fs::read_to_string(staging.join(COMMIT))?;
    for name in list.lines().filter(|n| is_plain_name(n)) {
        let from = staging.join(name);
        if from.exists() {
            fs::rename(&from, dir.join(name))?;
        }
    }
    sync_dir(dir)?;
    fs::remove_dir_all(staging)
}

/// Finishes what a command killed while writing into `dir` left: a
/// committed staging folder is moved into place, one that is not is
/// removed, and so are [`write()`]'s temporary files. What belongs to a
/// process still running is left alone.
pub fn recover(dir: &Path) -> io::Result<()> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let path = entry.path();
        if let Some(rest) = name.strip_prefix(STAGING_PREFIX) {
            let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
            if pid.is_some_and(running) || !path.is_dir() {
                continue;
            }
            if path.join(COMMIT).exists() {
                roll_forward(dir, &path)?;
            } else {
                fs::remove_dir_all(&path)?;
            }
        } else if let Some(pid) = temporary_of(name)
            && !running(pid)
        {
            fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// The process id in a temporary name of [`write()`], `.NAME.tmp-PID`.
fn temporary_of(name: &str) -> Option<u32> {
    let (stem, pid) = name.rsplit_once(".tmp-")?;
    if !stem.starts_with('.') || stem.len() < 2 {
        return None;
    }
    pid.parse().ok()
}

/// Whether process `pid` is running (this one always is). Where that
/// cannot be told, no other process is taken to be.
fn running(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        false
    }
}

/// Makes a folder's entries (new names, renames) durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    if cfg!(unix) {
        fs::File::open(dir)?.sync_all()
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_replaces_the_files_only_when_committed() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().join("out");
        fs::create_dir_all(&dir).expect("dir");
        fs::write(dir.join("a.csv"), "old a").expect("write");
        fs::write(dir.join("notes.txt"), "mine").expect("write");
        let mut set = OutputSet::begin(&dir).expect("begin");
        set.write("a.csv", b"new a").expect("write");
        set.write("b.csv", b"new b").expect("write");
        assert_eq!(fs::read_to_string(dir.join("a.csv")).unwrap(), "old a");
        assert!(!dir.join("b.csv").exists());
        drop(set);
        // Dropped without a commit: nothing changed, no staging left.
        assert_eq!(fs::read_to_string(dir.join("a.csv")).unwrap(), "old a");
        assert!(!dir.join("b.csv").exists());
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 2);

        let mut set = OutputSet::begin(&dir).expect("begin");
        set.write("a.csv", b"new a").expect("write");
        set.write("b.csv", b"new b").expect("write");
        assert_eq!(set.names(), ["a.csv", "b.csv"]);
        set.commit().expect("commit");
        assert_eq!(fs::read_to_string(dir.join("a.csv")).unwrap(), "new a");
        assert_eq!(fs::read_to_string(dir.join("b.csv")).unwrap(), "new b");
        assert_eq!(fs::read_to_string(dir.join("notes.txt")).unwrap(), "mine");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 3);
    }

    #[test]
    fn names_cannot_leave_the_folder() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let mut set = OutputSet::begin(tmp.path()).expect("begin");
        for bad in [
            "",
            ".",
            "..",
            "../x.csv",
            "a/b.csv",
            "/etc/x",
            "a\\b",
            ".gilsim-staging-1-0",
        ] {
            let e = set.write(bad, b"x").expect_err(bad);
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{bad}");
        }
        set.write("ok.csv", b"x").expect("a plain name");
    }

    #[test]
    fn what_a_killed_command_left_is_finished_or_removed() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path();
        fs::write(dir.join("a.csv"), "old a").expect("write");
        // No process has this id (above Linux's pid_max).
        let dead = 4_194_305 + 7;
        // Killed before its commit point: removed.
        let torn = dir.join(format!("{STAGING_PREFIX}{dead}-0"));
        fs::create_dir(&torn).expect("dir");
        fs::write(torn.join("a.csv"), "half").expect("write");
        // Killed after it: moved into place.
        let committed = dir.join(format!("{STAGING_PREFIX}{dead}-1"));
        fs::create_dir(&committed).expect("dir");
        fs::write(committed.join("b.csv"), "new b").expect("write");
        fs::write(committed.join(COMMIT), "b.csv").expect("write");
        // A temporary file of `write`.
        fs::write(dir.join(format!(".a.csv.tmp-{dead}")), "half").expect("write");
        // This process's own staging folder is left alone.
        let mine = dir.join(format!("{STAGING_PREFIX}{}-99", std::process::id()));
        fs::create_dir(&mine).expect("dir");
        recover(dir).expect("recover");
        let mut left: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let mine_name = mine.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(left, [mine_name.as_str(), "a.csv", "b.csv"]);
        assert_eq!(fs::read_to_string(dir.join("a.csv")).unwrap(), "old a");
        assert_eq!(fs::read_to_string(dir.join("b.csv")).unwrap(), "new b");
    }
}
