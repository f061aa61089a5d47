//! A cap on the fetches one incoming request can cause: a credential naming a hundred status
//! lists or DIDs must not make us a hundred-request amplifier.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::error::FetchError;

/// Fetches left for one incoming request. The caller creates one per request and takes from it
/// before each fetch; it can be shared by reference across the request's tasks.
#[derive(Debug)]
pub struct FetchBudget {
    left: AtomicU32,
}

impl FetchBudget {
    /// A budget of `fetches`.
    pub fn new(fetches: u32) -> Self {
        Self {
            left: AtomicU32::new(fetches),
        }
    }

    /// Takes one fetch, or [`FetchError::BudgetExhausted`] when none is left.
    pub fn take(&self) -> Result<(), FetchError> {
        self.left
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .map(|_| ())
            .map_err(|_| FetchError::BudgetExhausted)
    }

    /// Fetches still allowed.
    pub fn remaining(&self) -> u32 {
        self.left.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_allows_exactly_n_fetches() {
        let budget = FetchBudget::new(2);
        assert!(budget.take().is_ok());
        assert!(budget.take().is_ok());
        assert!(matches!(budget.take(), Err(FetchError::BudgetExhausted)));
        assert!(matches!(budget.take(), Err(FetchError::BudgetExhausted)));
        assert_eq!(budget.remaining(), 0);
        assert!(FetchBudget::new(0).take().is_err());
    }
}
