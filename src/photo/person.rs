//! The person, and only the person: the segmentation model also calls "person" bright clutter
//! beside the shoulders (a chandelier, a lamp, a window frame) that touches the photo's lower
//! border. Below the chin, outside the neck and chest (always the student's on a standard photo),
//! each pixel the mask keeps is asked whether its colour and texture look like the student's
//! clothes or like the room; the room's are dropped, and then everything the mask keeps that is not
//! joined to the face.

use super::refine::box_mean;
use super::segment::Mask;
use crate::guide::{PHOTO_EYES, PHOTO_SIZE};
use crate::FrameView;

/// From this row down (the standard photo's, below the chin) the clothes are told from the room.
const BELOW_CHIN: u32 = 450;
/// Half the width of the column under the face that is always the student (neck and chest).
const CHEST_HALF_WIDTH: u32 = 150;
/// Levels per colour channel in the colour models.
const LEVELS: usize = 6;
/// Texture classes (the local gradient: smooth, some, busy).
const TEXTURES: usize = 3;
/// A kept pixel is the room's when the room's model gives its colour and texture this many times
/// the clothes' likelihood.
const ROOM_ODDS: f64 = 6.0;
/// A pixel beside one dropped goes too when the room's model gives its own colour and texture
/// this many times the clothes' likelihood.
const SPREAD_ODDS: f64 = 1.0;
/// Side of the square over which those verdicts are pooled (one pixel's colour says little).
const POOL: usize = 31;
/// The clothes are followed out from the chest through neighbours this close in every channel.
const CLOTHES_STEP: i32 = 24;
/// A pixel beside the shoulders this many levels lighter than the clothes on its side, and not
/// reached from the chest through like colours, is light of the room joined to the shoulder.
const LIGHTER: f32 = 60.0;
/// ...and this light at least, and this close to grey: the light of a lamp, a window or a
/// chandelier. Hair on the shoulders, even blonde or dyed, is darker or more coloured than this.
const LIGHT_LUMA_MIN: f32 = 160.0;
/// The most a light pixel's channels may differ from each other.
const LIGHT_CHROMA_MAX: i32 = 80;
/// Fewer clothes pixels than this on a side (a shoulder out of the photo): nothing to compare.
const SIDE_MIN: usize = 400;
/// A light patch smaller than this (a button, a sleeve's sheen, the metal of a collar ring: the
/// astronaut's lost 301 pixels at 144), or one that does not touch the room or the photo's edge,
/// is the clothes'.
const LIGHT_PATCH_MIN: usize = 500;

/// A colour and texture histogram.
struct Model {
    counts: Vec<u32>,
    total: u32,
}

impl Model {
    fn new() -> Model {
        Model { counts: vec![0; LEVELS * LEVELS * LEVELS * TEXTURES], total: 0 }
    }

    fn add(&mut self, bin: usize) {
        self.counts[bin] += 1;
        self.total += 1;
    }

    /// How likely the bin is (with one count added everywhere, so no bin is impossible).
    fn likelihood(&self, bin: usize) -> f64 {
        (self.counts[bin] as f64 + 1.0) / (self.total as f64 + self.counts.len() as f64)
    }
}

/// Drops from `mask` (of the standard photo `photo`) what is not the student: below the chin,
/// pixels whose colour and texture are the room's rather than the clothes', and then whatever is
/// not joined to the face. Returns how many pixels it dropped.
pub fn keep_person(photo: &FrameView<'_>, mask: &mut Mask) -> usize {
    let (w, h) = (mask.width, mask.height);
    if (w, h) != PHOTO_SIZE || (photo.width(), photo.height()) != (w, h) {
        return 0;
    }

    let bins = bins(photo);
    let (mut clothes, mut room) = (Model::new(), Model::new());
    let centre = PHOTO_EYES[0] as u32;
    let chest = centre - CHEST_HALF_WIDTH..centre + CHEST_HALF_WIDTH;
    for y in 0..h {
        for x in 0..w {
            let (i, m) = ((y * w + x) as usize, mask.at(x, y));
            if m <= 0.05 {
                room.add(bins[i]);
            } else if m >= 0.95 && y >= BELOW_CHIN && chest.contains(&x) {
                clothes.add(bins[i]);
            }
        }
    }
    let mut dropped = 0;
    if clothes.total > 0 && room.total > 0 {
        // Where the room's colours and textures are the likelier, pooled over a square.
        let roomlike: Vec<f64> = (0..(w * h) as usize)
            .map(|i| {
                let (x, y) = ((i as u32) % w, (i as u32) / w);
                let unsure = y >= BELOW_CHIN && !chest.contains(&x) && mask.values[i] > 0.05;
                f64::from(u8::from(
                    unsure && room.likelihood(bins[i]) > ROOM_ODDS * clothes.likelihood(bins[i]),
                ))
            })
            .collect();
        let pooled = box_mean(&roomlike, w as usize, h as usize, POOL / 2);
        let mut stack = Vec::new();
        for y in BELOW_CHIN..h {
            for x in (0..w).filter(|x| !chest.contains(x)) {
                let i = (y * w + x) as usize;
                if mask.values[i] > 0.05 && pooled[i] > 0.6 {
                    mask.values[i] = 0.0;
                    dropped += 1;
                    stack.push(i);
                }
            }
        }
        // The pooling leaves a band of the room where it meets the clothes or the photo's edge:
        // from what it dropped, the drop spreads through pixels whose own colour and texture are
        // the room's rather than the clothes'.
        while let Some(i) = stack.pop() {
            let (x, y) = ((i as u32) % w, (i as u32) / w);
            let next = [
                (x > 0).then(|| i - 1),
                (x + 1 < w).then(|| i + 1),
                (y > BELOW_CHIN).then(|| i - w as usize),
                (y + 1 < h).then(|| i + w as usize),
            ];
            for j in next.into_iter().flatten() {
                let jx = (j as u32) % w;
                if !chest.contains(&jx)
                    && mask.values[j] > 0.05
                    && room.likelihood(bins[j]) > SPREAD_ODDS * clothes.likelihood(bins[j])
                {
                    mask.values[j] = 0.0;
                    dropped += 1;
                    stack.push(j);
                }
            }
        }
    }
    dropped + keep_joined(mask)
}

/// Drops from `mask` the light of the room joined to a shoulder ([`light_beside_shoulders`]);
/// returns how many pixels it dropped.
pub fn drop_light_beside_shoulders(photo: &FrameView<'_>, mask: &mut Mask) -> usize {
    let light = light_beside_shoulders(photo, mask);
    let mut dropped = 0;
    for (m, _) in mask.values.iter_mut().zip(&light).filter(|(m, &l)| l && **m > 0.05) {
        *m = 0.0;
        dropped += 1;
    }
    dropped
}

/// Below the chin and outside the chest, the patches `mask` keeps (above one half) that are
/// light and nearly grey (luma ≥ 160, channels within 80 of each other) and 60 levels lighter
/// than the clothes on their side, cannot be reached from the chest through
/// neighbours of like colour, are at least 500 pixels and touch the room or the
/// photo's edge: a lamp's, a window's or a chandelier's light joined to a shoulder, whose colour
/// may well be a white shirt's (so the colour models keep it). Hair on the shoulders is darker
/// or more coloured than that light (a limit chosen for it, not tested on such a photo).
pub fn light_beside_shoulders(photo: &FrameView<'_>, mask: &Mask) -> Vec<bool> {
    let (w, h) = (mask.width as usize, mask.height as usize);
    let mut out = vec![false; w * h];
    if (mask.width, mask.height) != PHOTO_SIZE || (photo.width(), photo.height()) != (mask.width, mask.height)
    {
        return out;
    }
    let centre = PHOTO_EYES[0] as usize;
    let chest = centre - CHEST_HALF_WIDTH as usize..centre + CHEST_HALF_WIDTH as usize;
    let top = BELOW_CHIN as usize;
    let pixel = |i: usize| {
        let row = photo.row((i / w) as u32);
        let x = 4 * (i % w);
        [row[x] as i32, row[x + 1] as i32, row[x + 2] as i32]
    };
    let kept = |i: usize| mask.values[i] > 0.5;
    // The clothes: from the chest, through neighbours of like colour inside the person. Not
    // along its outline: there the photo's edge colours blend clothes and blue into a light rim
    // that can lead from a white collar to a light patch at the shoulder.
    let inside = |j: usize| neighbours(j, w, h, 0).all(|k| mask.values[k] >= 0.95);
    let mut reached = vec![false; w * h];
    let mut stack: Vec<usize> =
        (top..h).flat_map(|y| chest.clone().map(move |x| y * w + x)).filter(|&i| kept(i)).collect();
    for &i in &stack {
        reached[i] = true;
    }
    while let Some(i) = stack.pop() {
        let here = pixel(i);
        for j in neighbours(i, w, h, top) {
            let there = pixel(j);
            if !reached[j]
                && mask.values[j] >= 0.95
                && inside(j)
                && (0..3).all(|k| (here[k] - there[k]).abs() <= CLOTHES_STEP)
            {
                reached[j] = true;
                stack.push(j);
            }
        }
    }
    let luma = |i: usize| {
        let p = pixel(i);
        crate::frame::luma(p[0] as u8, p[1] as u8, p[2] as u8)
    };
    let light = |i: usize, typical: f32| {
        let p = pixel(i);
        let (l, chroma) = (luma(i), p.iter().max().unwrap_or(&0) - p.iter().min().unwrap_or(&0));
        l > typical + LIGHTER && l >= LIGHT_LUMA_MIN && chroma <= LIGHT_CHROMA_MAX
    };
    // How light the clothes are on each side (none where there are too few to say).
    let mut typical_of = [None, None];
    for (s, side) in [0..chest.start, chest.end..w].into_iter().enumerate() {
        let pixels = || (top..h).flat_map(|y| side.clone().map(move |x| y * w + x));
        let mut clothes: Vec<f32> =
            pixels().filter(|&i| reached[i] && mask.values[i] >= 0.95).map(luma).collect();
        if clothes.len() < SIDE_MIN {
            continue;
        }
        clothes.sort_by(f32::total_cmp);
        let typical = clothes[clothes.len() / 2];
        typical_of[s] = Some(typical);
        for i in pixels() {
            out[i] = kept(i) && !reached[i] && light(i, typical);
        }
    }
    keep_patches_at_the_room(&mut out, mask);
    // A patch's own rim, where its light fades into the clothes' edge, is reached from the
    // clothes through small steps: from the patch, every light pixel joined to it goes too.
    let light_here = |i: usize| {
        let x = i % w;
        let side = if x < chest.start {
            Some(0)
        } else if x >= chest.end {
            Some(1)
        } else {
            None
        };
        side.and_then(|s| typical_of[s]).is_some_and(|typical| kept(i) && light(i, typical))
    };
    let mut stack: Vec<usize> = (0..w * h).filter(|&i| out[i]).collect();
    while let Some(i) = stack.pop() {
        for j in neighbours(i, w, h, top) {
            if !out[j] && light_here(j) {
                out[j] = true;
                stack.push(j);
            }
        }
    }
    out
}

/// The four neighbours of pixel `i` of a `w`×`h` picture, from row `top` down.
fn neighbours(i: usize, w: usize, h: usize, top: usize) -> impl Iterator<Item = usize> {
    let (x, y) = (i % w, i / w);
    [(x > 0).then(|| i - 1), (x + 1 < w).then(|| i + 1), (y > top).then(|| i - w), (y + 1 < h).then(|| i + w)]
        .into_iter()
        .flatten()
}

/// Keeps of `light` only its 8-connected patches of [`LIGHT_PATCH_MIN`] pixels or more that
/// touch the room (a neighbour the mask does not keep) or the photo's edge.
fn keep_patches_at_the_room(light: &mut [bool], mask: &Mask) {
    let (w, h) = (mask.width as usize, mask.height as usize);
    let mut seen = vec![false; w * h];
    for start in 0..w * h {
        if !light[start] || seen[start] {
            continue;
        }
        let (mut patch, mut stack, mut at_room) = (vec![start], vec![start], false);
        seen[start] = true;
        while let Some(i) = stack.pop() {
            let (x, y) = ((i % w) as i64, (i / w) as i64);
            for (dx, dy) in [(-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1)] {
                let (nx, ny) = (x + dx, y + dy);
                if nx < 0 || ny < 0 || nx >= w as i64 || ny >= h as i64 {
                    at_room = true;
                    continue;
                }
                let j = ny as usize * w + nx as usize;
                at_room |= mask.values[j] <= 0.5;
                if light[j] && !seen[j] {
                    seen[j] = true;
                    patch.push(j);
                    stack.push(j);
                }
            }
        }
        if patch.len() < LIGHT_PATCH_MIN || !at_room {
            for i in patch {
                light[i] = false;
            }
        }
    }
}

/// The colour-and-texture bin of every pixel.
fn bins(photo: &FrameView<'_>) -> Vec<usize> {
    let (w, h) = (photo.width() as usize, photo.height() as usize);
    let luma: Vec<f32> = (0..h)
        .flat_map(|y| {
            photo
                .row(y as u32)
                .chunks_exact(4)
                .map(|p| crate::frame::luma(p[0], p[1], p[2]))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut out = Vec::with_capacity(w * h);
    for y in 0..h {
        let row = photo.row(y as u32);
        for x in 0..w {
            let p = &row[4 * x..4 * x + 3];
            let level = |v: u8| (v as usize * LEVELS / 256).min(LEVELS - 1);
            let at = |x: usize, y: usize| luma[y.min(h - 1) * w + x.min(w - 1)];
            let gradient = (at(x + 1, y) - at(x.saturating_sub(1), y)).abs()
                + (at(x, y + 1) - at(x, y.saturating_sub(1))).abs();
            let texture = match gradient {
                g if g < 8.0 => 0,
                g if g < 30.0 => 1,
                _ => 2,
            };
            out.push(((level(p[0]) * LEVELS + level(p[1])) * LEVELS + level(p[2])) * TEXTURES + texture);
        }
    }
    out
}

/// Clears what the mask keeps (above one half) that is not joined to the face between the eyes;
/// returns how many pixels it cleared.
pub fn keep_joined(mask: &mut Mask) -> usize {
    let (w, h) = (mask.width as usize, mask.height as usize);
    let seed = PHOTO_EYES[1] as usize * w + PHOTO_EYES[0] as usize;
    if mask.values.get(seed).is_none_or(|&v| v <= 0.5) {
        return 0;
    }
    let mut joined = vec![false; w * h];
    let mut stack = vec![seed];
    joined[seed] = true;
    while let Some(i) = stack.pop() {
        let (x, y) = (i % w, i / w);
        let next = [
            (x > 0).then(|| i - 1),
            (x + 1 < w).then(|| i + 1),
            (y > 0).then(|| i - w),
            (y + 1 < h).then(|| i + w),
        ];
        for j in next.into_iter().flatten() {
            if !joined[j] && mask.values[j] > 0.5 {
                joined[j] = true;
                stack.push(j);
            }
        }
    }
    // A soft rim (up to one half) belongs to whatever it borders: it goes with a blob cleared.
    let near = |i: usize| {
        let (x, y) = (i % w, i / w);
        (y.saturating_sub(2)..(y + 3).min(h))
            .any(|yy| (x.saturating_sub(2)..(x + 3).min(w)).any(|xx| joined[yy * w + xx]))
    };
    let apart: Vec<usize> = (0..w * h).filter(|&i| mask.values[i] > 0.05 && !joined[i] && !near(i)).collect();
    for &i in &apart {
        mask.values[i] = 0.0;
    }
    apart.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blob_apart_from_the_face_is_cleared_and_the_face_kept() {
        let (w, h) = PHOTO_SIZE;
        let mut values = vec![0.0; (w * h) as usize];
        let mut paint = |x0: u32, y0: u32, x1: u32, y1: u32, v: f32| {
            for y in y0..y1 {
                for x in x0..x1 {
                    values[(y * w + x) as usize] = v;
                }
            }
        };
        paint(120, 80, 360, 640, 1.0); // the head and body
        paint(0, 0, 40, 60, 0.9); // a lamp in the corner, apart
        let mut mask = Mask { width: w, height: h, values };
        assert_eq!(keep_joined(&mut mask), 40 * 60);
        assert_eq!(mask.at(10, 10), 0.0);
        assert_eq!(mask.at(240, 300), 1.0);
    }
}
