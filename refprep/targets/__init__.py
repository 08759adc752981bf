"""What each generator accepts and how to fit it: presets, package rules, export."""
