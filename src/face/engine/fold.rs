//! Folding at load: the `Add` of a residual block and the activation after a convolution become
//! part of the convolution (see [`kernels::Post`](super::super::kernels::Post)), so that its
//! output is written once instead of being read and written again by each of those nodes.

use super::{Engine, Folded, Step};
use crate::face::tflite::{Activation, Op};

impl Engine {
    /// How many steps read each tensor (a graph output counts as read).
    fn readers(&self) -> Vec<usize> {
        let mut count = vec![0; self.shapes.len()];
        let inputs =
            self.plan.iter().flat_map(|s| s.node.inputs.iter().filter_map(|&i| usize::try_from(i).ok()));
        for t in inputs.chain(self.outputs.iter().copied()) {
            count[t] += 1;
        }
        count
    }

    /// The step that writes each tensor.
    fn writers(&self) -> Vec<Option<usize>> {
        let mut by = vec![None; self.shapes.len()];
        for (k, s) in self.plan.iter().enumerate() {
            if let Some(t) = s.node.outputs.first().and_then(|&t| usize::try_from(t).ok()) {
                by[t] = Some(k);
            }
        }
        by
    }

    /// Whether step `k` is a convolution with no activation, of its own or folded in.
    fn bare_conv(&self, k: usize) -> bool {
        let step = &self.plan[k];
        matches!(step.node.op, Op::Conv2d(w) if w.activation == Activation::None)
            && step.act == Folded::Fused(Activation::None)
    }

    /// The step `k` if it is a convolution nothing has been folded into, whose output only the
    /// step reading `t` reads.
    fn foldable(&self, writer: Option<usize>, t: usize, readers: &[usize]) -> Option<usize> {
        let k = writer?;
        (self.bare_conv(k) && self.plan[k].residual.is_none() && readers[t] == 1).then_some(k)
    }

    /// Folds each `Add` of a convolution's output and a tensor of the same shape (a residual
    /// block's shortcut) into the convolution, which then runs where the `Add` was (after the
    /// shortcut is ready; nothing in between reads its output).
    pub(super) fn fold_shortcuts(&mut self) {
        let (readers, writers) = (self.readers(), self.writers());
        let mut folded = vec![false; self.plan.len()];
        for j in 0..self.plan.len() {
            let Op::Add(act) = self.plan[j].node.op else { continue };
            let ins: Vec<usize> =
                self.plan[j].node.inputs.iter().filter_map(|&i| usize::try_from(i).ok()).collect();
            let Some(&out) = self.plan[j].node.outputs.first() else { continue };
            let [a, b] = ins[..] else { continue };
            let same = |t: usize| self.shapes[t] == self.shapes[out as usize];
            if !(same(a) && same(b)) || a == b {
                continue;
            }
            let pick = [(a, b), (b, a)].into_iter().find_map(|(conv, shortcut)| {
                let k = self.foldable(writers[conv], conv, &readers)?;
                (k < j && !folded[k]).then_some((k, shortcut))
            });
            let Some((k, shortcut)) = pick else { continue };
            let mut conv = self.plan[k].node.clone();
            let own = std::mem::replace(&mut conv.outputs, vec![out]);
            // Nothing writes the convolution's own output any more.
            if let Some(t) = own.first().and_then(|&t| usize::try_from(t).ok()) {
                self.values[t] = Vec::new();
            }
            self.plan[j] = Step { node: conv, residual: Some(shortcut), act: Folded::Fused(act) };
            folded[k] = true;
        }
        let mut k = 0;
        self.plan.retain(|_| {
            k += 1;
            !folded[k - 1]
        });
    }

    /// Folds each ReLU, ReLU6 or PReLU that follows a convolution (with or without a folded
    /// shortcut, but with no activation of its own) into it.
    pub(super) fn fold_activations(&mut self) {
        let (readers, writers) = (self.readers(), self.writers());
        let mut gone = vec![false; self.plan.len()];
        for j in 0..self.plan.len() {
            let node = &self.plan[j].node;
            let (Some(&x), Some(&out)) = (node.inputs.first(), node.outputs.first()) else { continue };
            let Ok(x) = usize::try_from(x) else { continue };
            let act = match node.op {
                Op::Relu => Folded::Fused(Activation::Relu),
                Op::Relu6 => Folded::Fused(Activation::Relu6),
                Op::Prelu => match node.inputs.get(1).and_then(|&a| usize::try_from(a).ok()) {
                    // One alpha per channel, as the kernels take it.
                    Some(a) if self.values[a].len() == *self.shapes[x].last().unwrap_or(&0) => {
                        Folded::Prelu(a)
                    }
                    _ => continue,
                },
                _ => continue,
            };
            let Some(k) = writers[x] else { continue };
            if !self.bare_conv(k) || readers[x] != 1 || gone[k] {
                continue;
            }
            self.plan[k].node.outputs = vec![out];
            self.plan[k].act = act;
            self.values[x] = Vec::new();
            gone[j] = true;
        }
        let mut j = 0;
        self.plan.retain(|_| {
            j += 1;
            !gone[j - 1]
        });
    }
}
