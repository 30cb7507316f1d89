package engine

// ReasonLabel exposes reasonLabel to the external tests.
var ReasonLabel = reasonLabel
