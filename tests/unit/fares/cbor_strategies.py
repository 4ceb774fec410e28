"""Hypothesis strategies for arbitrary CBOR data items inside the strict subset."""

from __future__ import annotations

from hypothesis import strategies as st

CBOR_INTEGERS = st.integers(min_value=-(2**64), max_value=2**64 - 1)
cbor_values = st.recursive(
    st.none() | st.booleans() | CBOR_INTEGERS | st.binary(max_size=40) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=14)
        | st.dictionaries(CBOR_INTEGERS | st.text(max_size=5), children, max_size=5)
    ),
    max_leaves=40,
)
