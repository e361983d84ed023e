//! Empty: the test in tests/ is what matters.
