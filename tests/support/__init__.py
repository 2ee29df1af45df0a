"""What the tests share: helpers, local servers, comparisons with the truth, the gitim stand-in
(see tests/README.md)."""
