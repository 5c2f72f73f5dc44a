"""Reading and driving app screens: hierarchy dumps → nodes → selectors → taps and text."""
