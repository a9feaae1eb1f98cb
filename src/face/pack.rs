//! A smaller form of a model for shipping: every fp16 weight tensor stored as int8 with one scale
//! per channel (the first dimension; the last for depthwise weights, whose first is 1), about half
//! the bytes again.
//!
//! The packed file is the original `.tflite` with those tensors' bytes zeroed (so the flatbuffer
//! still parses, and the zeros cost nothing once gzipped) followed by a trailer:
//! for each tensor `index: u32, channels: u32, len: u32, last: u32, scales: [f32; channels],
//! values: [i8; len]` (`last` is 1 when the channel is the last dimension), then
//! `trailer_start: u32` and the magic `GCQ8`. [`unpack`] turns the trailer back into f32 weights.
//!
//! [`pack_without`] also leaves out the heads of outputs that will not be read (the attention
//! mesh's irises): the weights that only those outputs need are zeroed and not stored, and each
//! such output is recorded as an entry `index, 0, 0, 0`; the engine then does not compute them.

use super::tflite::{DType, Model};
use crate::{Error, ErrorKind};

const MAGIC: &[u8; 4] = b"GCQ8";

fn bad(what: &str) -> Error {
    Error::new(ErrorKind::ModelFormat, what)
}

fn f16_tensors(model: &Model, file: &[u8]) -> Vec<usize> {
    (0..model.tensors.len())
        .filter(|&t| model.tensors[t].dtype == DType::F16 && !model.data(file, t).is_empty())
        .collect()
}

/// Packs `file` (a `.tflite` with fp16 weights).
pub fn pack(file: &[u8]) -> Result<Vec<u8>, Error> {
    pack_without(file, &[])
}

/// The nodes that compute the tensors `wanted` (by index), by walking the graph back from them.
pub(crate) fn needed_nodes(nodes: &[super::tflite::Node], wanted: &[usize]) -> Vec<bool> {
    let tensors = nodes.iter().flat_map(|n| n.inputs.iter().chain(&n.outputs)).map(|&t| t.max(0) as usize);
    let mut need = vec![false; tensors.chain(wanted.iter().copied()).max().map_or(0, |m| m + 1)];
    wanted.iter().for_each(|&t| need[t] = true);
    let mut keep = vec![false; nodes.len()];
    for (k, node) in nodes.iter().enumerate().rev() {
        if node.outputs.iter().any(|&o| o >= 0 && need[o as usize]) {
            keep[k] = true;
            node.inputs.iter().filter(|&&i| i >= 0).for_each(|&i| need[i as usize] = true);
        }
    }
    keep
}

/// Packs `file` without the heads that only the outputs named in `drop` need.
pub fn pack_without(file: &[u8], drop: &[&str]) -> Result<Vec<u8>, Error> {
    let model = Model::parse(file)?;
    let mut dropped = Vec::new();
    for name in drop {
        match model.outputs.iter().find(|&&t| model.tensors[t].name == *name) {
            Some(&t) => dropped.push(t),
            None => return Err(bad(&format!("the model has no output {name}"))),
        }
    }
    let kept: Vec<usize> = model.outputs.iter().copied().filter(|t| !dropped.contains(t)).collect();
    let keep = needed_nodes(&model.nodes, &kept);
    // The tensors the kept nodes read: every other constant is only the dropped heads'.
    let mut used = vec![dropped.is_empty(); model.tensors.len()];
    for (node, _) in model.nodes.iter().zip(&keep).filter(|(_, &k)| k) {
        node.inputs.iter().filter_map(|&i| usize::try_from(i).ok()).for_each(|i| used[i] = true);
    }
    let mut out = file.to_vec();
    let mut trailer = Vec::new();
    for t in (0..model.tensors.len()).filter(|&t| !used[t] && !model.data(file, t).is_empty()) {
        out[model.buffers[model.tensors[t].buffer].clone()].fill(0);
    }
    for t in f16_tensors(&model, file).into_iter().filter(|&t| used[t]) {
        let range = model.buffers[model.tensors[t].buffer].clone();
        let values: Vec<f32> = file[range.clone()]
            .chunks_exact(2)
            .map(|b| super::engine::f16_to_f32(u16::from_le_bytes([b[0], b[1]])))
            .collect();
        let shape = &model.tensors[t].shape;
        let last = shape.len() > 1 && shape[0] == 1;
        let channels = if last { shape[shape.len() - 1] } else { shape.first().copied().unwrap_or(1) }.max(1);
        if values.len() % channels != 0 {
            return Err(bad("weights do not divide into channels"));
        }
        let channel_of = |i: usize| if last { i % channels } else { i / (values.len() / channels) };
        let mut scales = vec![0f32; channels];
        for (i, v) in values.iter().enumerate() {
            let s = &mut scales[channel_of(i)];
            *s = s.max(v.abs() / 127.0);
        }
        for word in [t, channels, values.len(), last as usize] {
            trailer.extend((word as u32).to_le_bytes());
        }
        for s in &scales {
            trailer.extend(s.to_le_bytes());
        }
        trailer.extend(values.iter().enumerate().map(|(i, v)| {
            let s = scales[channel_of(i)];
            if s > 0.0 {
                (v / s).round().clamp(-127.0, 127.0) as i8 as u8
            } else {
                0
            }
        }));
        out[range].fill(0);
    }
    for t in dropped {
        for word in [t, 0, 0, 0] {
            trailer.extend((word as u32).to_le_bytes());
        }
    }
    let start = out.len() as u32;
    out.extend(trailer);
    out.extend(start.to_le_bytes());
    out.extend(MAGIC);
    Ok(out)
}

/// What a packed file's trailer holds.
#[derive(Debug, PartialEq)]
pub struct Unpacked {
    /// Weights restored: `(tensor index, f32 values)`.
    pub weights: Vec<(usize, Vec<f32>)>,
    /// Outputs whose heads were left out (tensor indices): not to be computed.
    pub dropped: Vec<usize>,
}

/// The weights stored in a packed file's trailer; `None` for a file that is not packed.
pub fn unpack(file: &[u8]) -> Result<Option<Unpacked>, Error> {
    if file.len() < 8 || &file[file.len() - 4..] != MAGIC {
        return Ok(None);
    }
    let word = |at: usize| -> Result<u32, Error> {
        file.get(at..at.checked_add(4).ok_or_else(|| bad("bad trailer"))?)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or_else(|| bad("truncated trailer"))
    };
    let end = file.len() - 8;
    let mut at = word(end)? as usize;
    if at > end {
        return Err(bad("trailer starts past the end"));
    }
    let mut out = Unpacked { weights: Vec::new(), dropped: Vec::new() };
    while at < end {
        let (tensor, channels, len) = (word(at)? as usize, word(at + 4)? as usize, word(at + 8)? as usize);
        let last = word(at + 12)? == 1;
        at += 16;
        if channels == 0 && len == 0 {
            out.dropped.push(tensor);
            continue;
        }
        if channels == 0 || len % channels != 0 || at + 4 * channels + len > end {
            return Err(bad("bad trailer entry"));
        }
        let scales: Vec<f32> =
            (0..channels).map(|k| word(at + 4 * k).map(f32::from_bits)).collect::<Result<_, _>>()?;
        at += 4 * channels;
        let per = len / channels;
        let values = file[at..at + len]
            .iter()
            .enumerate()
            .map(|(i, &q)| q as i8 as f32 * scales[if last { i % channels } else { i / per }])
            .collect();
        at += len;
        out.weights.push((tensor, values));
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_without_the_magic_are_not_packed() {
        assert_eq!(unpack(b"TFL3 and more").unwrap(), None);
        assert!(unpack(b"\0\0\0\0\xff\xff\xff\x7fGCQ8").is_err(), "a trailer start past the end");
    }

    #[test]
    fn a_hand_made_trailer_round_trips() {
        let mut file = b"model bytes".to_vec();
        let start = file.len() as u32;
        file.extend(7u32.to_le_bytes());
        file.extend(2u32.to_le_bytes());
        file.extend(4u32.to_le_bytes());
        file.extend(0u32.to_le_bytes());
        file.extend(0.5f32.to_le_bytes());
        file.extend(0.25f32.to_le_bytes());
        file.extend([2u8, 254, 4, 0]);
        file.extend(start.to_le_bytes());
        file.extend(MAGIC);
        assert_eq!(
            unpack(&file).unwrap(),
            Some(Unpacked { weights: vec![(7, vec![1.0, -1.0, 1.0, 0.0])], dropped: Vec::new() })
        );
    }

    #[test]
    fn a_dropped_output_is_read_back() {
        let mut file = b"model bytes".to_vec();
        let start = file.len() as u32;
        for word in [9u32, 0, 0, 0] {
            file.extend(word.to_le_bytes());
        }
        file.extend(start.to_le_bytes());
        file.extend(MAGIC);
        assert_eq!(unpack(&file).unwrap(), Some(Unpacked { weights: Vec::new(), dropped: vec![9] }));
    }
}
