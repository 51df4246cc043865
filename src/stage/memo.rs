//! A small memo for costing a layer's folds in one batch ([`crate::ops::Operator::cost_all`]):
//! the folds of one configuration share most of their parts (a conv's window generator
//! depends on SIMD only, a matrix unit's datapath on PE, SIMD and the multiplier style, its
//! requantiser on PE and the scale style), so each part is worked out once per distinct
//! argument instead of once per fold.

/// Values by key, found by a linear scan: a part has few distinct keys in one batch (the
/// caller clears the memo when the arguments it leaves out of the key change).
#[derive(Debug)]
pub struct Memo<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for Memo<K, V> {
    fn default() -> Self {
        Memo {
            entries: Vec::new(),
        }
    }
}

impl<K, V> Memo<K, V> {
    /// Forgets every value, keeping the memory (a batch clears its memos thousands of times).
    pub fn clear(&mut self) {
        self.entries.clear();
    }
}

impl<K: PartialEq, V: Clone> Memo<K, V> {
    /// The value for `key`, made by `make` the first time.
    pub fn get(&mut self, key: K, make: impl FnOnce() -> V) -> V {
        if let Some((_, v)) = self.entries.iter().find(|(k, _)| *k == key) {
            return v.clone();
        }
        let v = make();
        self.entries.push((key, v.clone()));
        v
    }

    /// The value for `key` by reference, made by `make` the first time.
    pub fn get_ref(&mut self, key: K, make: impl FnOnce() -> V) -> &V {
        let at = match self.entries.iter().position(|(k, _)| *k == key) {
            Some(at) => at,
            None => {
                self.entries.push((key, make()));
                self.entries.len() - 1
            }
        };
        &self.entries[at].1
    }
}

#[cfg(test)]
mod tests {
    use super::Memo;

    #[test]
    fn makes_each_key_once_and_forgets_on_clear() {
        let mut memo = Memo::default();
        let mut made = 0;
        for k in [3, 4, 3, 3, 4] {
            let v = memo.get(k, || {
                made += 1;
                k * 10
            });
            assert_eq!(v, k * 10);
        }
        assert_eq!(made, 2);
        assert_eq!(*memo.get_ref(4, || 0), 40);
        assert_eq!(*memo.get_ref(5, || 50), 50);
        assert_eq!(memo.get(3, || 7), 30);
        memo.clear();
        assert_eq!(memo.get(3, || 7), 7);
    }
}
