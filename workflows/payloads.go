package workflows

// Action bodies both flows share: a reason, required or optional (each flow's
// own bodies are in marketplace_payloads.go and member_input.go).

// ReasonPayload: a reason is required (cancel, decline credit, returns...).
type ReasonPayload struct {
	Reason string `json:"reason"`
}

func (p *ReasonPayload) Validate() map[string]string {
	return textProblems(map[string]string{}, "reason", p.Reason, true)
}

// OptionalReasonPayload: a reason may be given (a supplier declining).
type OptionalReasonPayload struct {
	Reason string `json:"reason"`
}

func (p *OptionalReasonPayload) Validate() map[string]string {
	return textProblems(map[string]string{}, "reason", p.Reason, false)
}
