//! Just enough of the FlexBuffers format to read the options map of MediaPipe's custom operators
//! (`Landmarks2TransformMatrix`): a root map of integers, floats and vectors of integers.
//!
//! A FlexBuffer is read from its end: the last byte is the root's width in bytes, the one before
//! its packed type (type << 2 | child width code), and the root value sits just before them. A
//! map's value is an offset back to its values, which are preceded by the offset to its keys
//! vector, the keys' width and the count; each value's packed type follows the values.

use crate::{Error, ErrorKind};

fn bad(what: &str) -> Error {
    Error::new(ErrorKind::ModelFormat, format!("custom operator options: {what}"))
}

const INT: u8 = 1;
const UINT: u8 = 2;
const FLOAT: u8 = 3;
const INDIRECT_INT: u8 = 6;
const INDIRECT_UINT: u8 = 7;
const INDIRECT_FLOAT: u8 = 8;
const MAP: u8 = 9;
const VECTOR: u8 = 10;
const VECTOR_INT: u8 = 11;
const VECTOR_UINT: u8 = 12;
const BOOL: u8 = 26;

/// One value: where it is stored, the width it is stored with, and its packed type.
#[derive(Clone, Copy)]
struct Value<'a> {
    buf: &'a [u8],
    at: usize,
    width: usize,
    packed: u8,
}

fn read_uint(buf: &[u8], at: usize, width: usize) -> Result<u64, Error> {
    if !matches!(width, 1 | 2 | 4 | 8) {
        return Err(bad("a value of an odd width"));
    }
    let bytes = buf.get(at..at + width).ok_or_else(|| bad("reads past the end"))?;
    Ok(bytes.iter().rev().fold(0u64, |v, &b| (v << 8) | b as u64))
}

fn read_int(buf: &[u8], at: usize, width: usize) -> Result<i64, Error> {
    let v = read_uint(buf, at, width)?;
    let shift = 64 - 8 * width as u32;
    Ok(((v << shift) as i64) >> shift)
}

fn read_float(buf: &[u8], at: usize, width: usize) -> Result<f64, Error> {
    match width {
        4 => Ok(f32::from_bits(read_uint(buf, at, 4)? as u32) as f64),
        8 => Ok(f64::from_bits(read_uint(buf, at, 8)?)),
        _ => Err(bad("a float of an odd width")),
    }
}

impl<'a> Value<'a> {
    fn kind(&self) -> u8 {
        self.packed >> 2
    }

    /// The width of what an offset value points at.
    fn child_width(&self) -> usize {
        1 << (self.packed & 3)
    }

    /// Where an offset value points.
    fn target(&self) -> Result<usize, Error> {
        let offset = read_uint(self.buf, self.at, self.width)? as usize;
        self.at.checked_sub(offset).ok_or_else(|| bad("an offset before the start"))
    }

    fn int(&self) -> Result<i64, Error> {
        match self.kind() {
            INT => read_int(self.buf, self.at, self.width),
            UINT | BOOL => Ok(read_uint(self.buf, self.at, self.width)? as i64),
            INDIRECT_INT => read_int(self.buf, self.target()?, self.child_width()),
            INDIRECT_UINT => Ok(read_uint(self.buf, self.target()?, self.child_width())? as i64),
            FLOAT => Ok(read_float(self.buf, self.at, self.width)? as i64),
            _ => Err(bad("not an integer")),
        }
    }

    fn float(&self) -> Result<f64, Error> {
        match self.kind() {
            FLOAT => read_float(self.buf, self.at, self.width),
            INDIRECT_FLOAT => read_float(self.buf, self.target()?, self.child_width()),
            _ => Ok(self.int()? as f64),
        }
    }

    /// The integers of a typed (or untyped) vector.
    fn ints(&self) -> Result<Vec<i64>, Error> {
        let start = self.target()?;
        let width = self.child_width();
        let len = read_uint(
            self.buf,
            start.checked_sub(width).ok_or_else(|| bad("a vector before the start"))?,
            width,
        )? as usize;
        if len > self.buf.len() {
            return Err(bad("a vector longer than the options"));
        }
        match self.kind() {
            VECTOR_INT => (0..len).map(|i| read_int(self.buf, start + i * width, width)).collect(),
            VECTOR_UINT => {
                (0..len).map(|i| Ok(read_uint(self.buf, start + i * width, width)? as i64)).collect()
            }
            VECTOR => (0..len)
                .map(|i| {
                    let packed =
                        *self.buf.get(start + len * width + i).ok_or_else(|| bad("short vector types"))?;
                    Value { buf: self.buf, at: start + i * width, width, packed }.int()
                })
                .collect(),
            _ => Err(bad("not a vector of integers")),
        }
    }
}

/// The root map of a FlexBuffer.
pub struct Map<'a> {
    buf: &'a [u8],
    /// Where the values start, their width, and how many there are.
    values: usize,
    width: usize,
    len: usize,
    /// Where the keys' offsets start, and their width.
    keys: usize,
    key_width: usize,
}

impl<'a> Map<'a> {
    /// Reads the root of `buf`, which must be a map.
    pub fn root(buf: &'a [u8]) -> Result<Map<'a>, Error> {
        let n = buf.len();
        if n < 3 {
            return Err(bad("too short"));
        }
        let width = buf[n - 1] as usize;
        let packed = buf[n - 2];
        let at = n.checked_sub(2 + width).ok_or_else(|| bad("root wider than the buffer"))?;
        let root = Value { buf, at, width, packed };
        if root.kind() != MAP {
            return Err(bad("the root is not a map"));
        }
        let values = root.target()?;
        let width = root.child_width();
        let meta = values.checked_sub(3 * width).ok_or_else(|| bad("a map before the start"))?;
        let keys = meta
            .checked_sub(read_uint(buf, meta, width)? as usize)
            .ok_or_else(|| bad("keys before the start"))?;
        let key_width = read_uint(buf, meta + width, width)? as usize;
        let len = read_uint(buf, meta + 2 * width, width)? as usize;
        if !matches!(key_width, 1 | 2 | 4 | 8) || len > n || values + len * (width + 1) > n {
            return Err(bad("a malformed map"));
        }
        Ok(Map { buf, values, width, len, keys, key_width })
    }

    fn key(&self, i: usize) -> Result<&'a [u8], Error> {
        let at = self.keys + i * self.key_width;
        let start = at
            .checked_sub(read_uint(self.buf, at, self.key_width)? as usize)
            .ok_or_else(|| bad("a key before the start"))?;
        let rest = self.buf.get(start..).ok_or_else(|| bad("a key past the end"))?;
        let end = rest.iter().position(|&b| b == 0).ok_or_else(|| bad("an unterminated key"))?;
        Ok(&rest[..end])
    }

    fn get(&self, key: &str) -> Result<Value<'a>, Error> {
        for i in 0..self.len {
            if self.key(i)? == key.as_bytes() {
                let packed = self.buf[self.values + self.len * self.width + i];
                return Ok(Value {
                    buf: self.buf,
                    at: self.values + i * self.width,
                    width: self.width,
                    packed,
                });
            }
        }
        Err(bad(&format!("no `{key}`")))
    }

    /// The integer under `key`.
    pub fn int(&self, key: &str) -> Result<i64, Error> {
        self.get(key)?.int()
    }

    /// The number under `key`.
    pub fn float(&self, key: &str) -> Result<f64, Error> {
        self.get(key)?.float()
    }

    /// The vector of integers under `key`.
    pub fn ints(&self, key: &str) -> Result<Vec<i64>, Error> {
        self.get(key)?.ints()
    }

    /// Whether the map has `key`.
    pub fn has(&self, key: &str) -> bool {
        (0..self.len).any(|i| self.key(i).is_ok_and(|k| k == key.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A map built by hand: `a` an int, `b` a float, `v` a vector of ints (values 4 bytes wide,
    /// keys and the vector 1 byte).
    #[test]
    fn reads_a_map_of_ints_floats_and_int_vectors() {
        let mut buf = b"a\0b\0v\0".to_vec();
        buf.extend([3, 7, 6, 5]); // the keys: count, then offsets back to "a", "b", "v"
        buf.extend([3, 1, 2, 3]); // the vector: count, then 1, 2, 3
        for word in [7u32, 1, 3, 7] {
            buf.extend(word.to_le_bytes()); // keys offset, key width, count; then a = 7
        }
        buf.extend(0.5f32.to_le_bytes());
        buf.extend(23u32.to_le_bytes()); // v: back to the vector's first element
        buf.extend([INT << 2, FLOAT << 2 | 2, VECTOR_INT << 2]);
        buf.extend([15, MAP << 2 | 2, 1]); // root: back to the values, its type, its width
        let map = Map::root(&buf).unwrap();
        assert_eq!(map.int("a").unwrap(), 7);
        assert_eq!(map.float("b").unwrap(), 0.5);
        assert_eq!(map.ints("v").unwrap(), vec![1, 2, 3]);
        assert!(map.has("v") && !map.has("w"));
        assert!(map.int("w").is_err());
        assert!(Map::root(&buf[..buf.len() - 1]).is_err(), "a cut buffer is not read");
        let mut odd = buf.clone();
        *odd.last_mut().unwrap() = 3;
        assert!(Map::root(&odd).is_err(), "a root three bytes wide");
    }
}
