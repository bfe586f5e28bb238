//! The networks' runnable plans, one per input shape, built on first use: a plan optimised
//! for a fixed shape runs faster than one left symbolic (P-Net: ~35 %), and optimising costs
//! a few milliseconds once per shape. R-Net and O-Net are planned per exact batch size:
//! padding a batch to a round size cost more than it saved (O-Net, 5 crops padded to 8:
//! ~11 ms against ~7 ms exact), and a portrait gives a few dozen distinct sizes at most.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tract_onnx::prelude::*;

use super::{DetectError, model_err};

pub(crate) type Plan = Arc<TypedRunnableModel>;

/// Once this many plans are cached the cache is emptied: P-Net adds one plan (its canvas)
/// per distinct image size, and a long batch over odd sizes must not grow forever.
const CACHE_LIMIT: usize = 256;

/// One network as loaded (input shape symbolic) and its plans by NCHW input shape.
pub(crate) struct Plans {
    name: &'static str,
    model: InferenceModel,
    cache: Mutex<HashMap<[usize; 4], Plan>>,
}

impl Plans {
    /// Loads `bytes` (an ONNX model); no plan is built yet.
    pub(crate) fn load(bytes: &[u8], name: &'static str) -> Result<Plans, DetectError> {
        let mut reader = bytes;
        let mut onnx = tract_onnx::onnx();
        super::maxpool::register(&mut onnx);
        super::prelu::register(&mut onnx);
        super::softmax::register(&mut onnx);
        let model = onnx.model_for_read(&mut reader).map_err(model_err(name))?;
        Ok(Plans {
            name,
            model,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The plan for input `shape` (`[n, c, h, w]`).
    pub(crate) fn get(&self, shape: [usize; 4]) -> Result<Plan, DetectError> {
        // A poisoned lock only means another thread panicked while inserting; the map of
        // finished plans is still valid.
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(plan) = cache.get(&shape) {
            return Ok(plan.clone());
        }
        let plan = self
            .model
            .clone()
            .with_input_fact(0, f32::fact(shape).into())
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(model_err(self.name))?;
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(shape, plan.clone());
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Our `MaxPool`, `PRelu` and `Softmax` give what tract's own operators give, on every
    /// network.
    #[test]
    fn own_operators_agree_with_tracts() {
        let mut next = crate::testing::xorshift(0xC0FF_EE11);
        for (bytes, name, shape) in [
            (super::super::PNET_ONNX, "P-Net", [1, 3, 37, 29]),
            (super::super::RNET_ONNX, "R-Net", [3, 3, 24, 24]),
            (super::super::ONET_ONNX, "O-Net", [2, 3, 48, 48]),
        ] {
            let n: usize = shape.iter().product();
            let input: Vec<f32> = (0..n)
                .map(|_| (next() % 256) as f32 / 128.0 - 1.0)
                .collect();
            let tensor = || {
                tract_ndarray::Array4::from_shape_vec(
                    (shape[0], shape[1], shape[2], shape[3]),
                    input.clone(),
                )
                .expect("shape")
                .into_tensor()
            };
            let plan = Plans::load(bytes, name)
                .and_then(|p| p.get(shape))
                .expect("our plan");
            // Ours are in the plan, not optimised away into tract's.
            let ops: Vec<String> = plan
                .model()
                .nodes()
                .iter()
                .map(|n| n.op().name().to_string())
                .collect();
            for own in ["MaxPoolRows", "PreluPerChannel"] {
                assert!(ops.iter().any(|o| o == own), "{name}: no {own} in {ops:?}");
            }
            let ours = plan.run(tvec!(tensor().into())).expect("our run");
            let theirs = tract_onnx::onnx()
                .model_for_read(&mut &bytes[..])
                .and_then(|m| m.with_input_fact(0, f32::fact(shape).into()))
                .and_then(|m| m.into_optimized())
                .and_then(|m| m.into_runnable())
                .expect("tract's plan")
                .run(tvec!(tensor().into()))
                .expect("tract's run");
            assert_eq!(ours.len(), theirs.len());
            for (a, b) in ours.iter().zip(&theirs) {
                let (a, b) = (
                    a.to_plain_array_view::<f32>().expect("f32"),
                    b.to_plain_array_view::<f32>().expect("f32"),
                );
                assert_eq!(a.shape(), b.shape(), "{name}");
                for (x, y) in a.iter().zip(b.iter()) {
                    assert!((x - y).abs() < 1e-4, "{name}: {x} vs {y}");
                }
            }
        }
    }
}
