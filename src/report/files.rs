//! [`Files`]: a command's output files rendered in memory, then written
//! into their folder as one [`OutputSet`] (all of them or none), or kept
//! by a caller that wants them without files (the Python bindings).

use std::path::Path;

use super::atomic::OutputSet;
use crate::failure::Failure;

/// Named files in the order they were rendered; a name given twice keeps
/// its place and its last bytes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Files {
    files: Vec<(String, Vec<u8>)>,
}

impl Files {
    /// Adds (or replaces) the file `name`.
    pub fn add(&mut self, name: &str, bytes: Vec<u8>) {
        match self.files.iter_mut().find(|(n, _)| n == name) {
            Some(f) => f.1 = bytes,
            None => self.files.push((name.to_string(), bytes)),
        }
    }

    /// The names, in order.
    pub fn names(&self) -> Vec<String> {
        self.files.iter().map(|(n, _)| n.clone()).collect()
    }

    /// The bytes of the file `name`.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_slice())
    }

    /// Every file, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(n, b)| (n.as_str(), b.as_slice()))
    }

    /// Writes every file into `dir` as one [`OutputSet`]: a command killed
    /// on the way leaves the previous files.
    pub fn write_to(&self, dir: &Path) -> Result<(), Failure> {
        let mut out = OutputSet::begin(dir).map_err(|e| Failure::cannot_write(dir, e))?;
        for (name, bytes) in &self.files {
            out.write(name, bytes)
                .map_err(|e| Failure::cannot_write(&dir.join(name), e))?;
        }
        out.commit().map_err(|e| Failure::cannot_write(dir, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_given_twice_keeps_its_place_and_last_bytes() {
        let mut f = Files::default();
        f.add("a.csv", b"1".to_vec());
        f.add("b.svg", b"2".to_vec());
        f.add("a.csv", b"3".to_vec());
        assert_eq!(f.names(), ["a.csv", "b.svg"]);
        assert_eq!(f.get("a.csv"), Some(&b"3"[..]));
        assert_eq!(f.get("c"), None);
    }

    #[test]
    fn write_to_puts_every_file_in_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = Files::default();
        f.add("results.csv", b"x,y\n".to_vec());
        f.add("chart.svg", b"<svg/>".to_vec());
        f.write_to(dir.path()).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("results.csv")).unwrap(),
            b"x,y\n"
        );
        assert_eq!(
            std::fs::read(dir.path().join("chart.svg")).unwrap(),
            b"<svg/>"
        );
    }
}
