package config

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/switchboard-hq/switchboard/sensitive"
)

// variableJSON is the form of Variable.Value. The type is recorded with the
// value because JSON alone cannot tell a list from a set or a map from an
// object, and a number from a string that holds one.
type variableJSON struct {
	Value json.RawMessage `json:"value"`
	Type  json.RawMessage `json:"type"`
}

func encodeVariableValue(val cty.Value) (string, error) {
	val, _ = val.UnmarkDeep()
	ty := val.Type()
	tj, err := ctyjson.MarshalType(ty)
	if err != nil {
		return "", err
	}
	vj, err := ctyjson.Marshal(val, ty)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(variableJSON{Value: vj, Type: tj})
	return string(b), err
}

// decodeVariableValue reads what encodeVariableValue wrote. Its errors
// describe the structure, never the value, which may be a sensitive
// variable's.
func decodeVariableValue(s string) (cty.Value, error) {
	var vj variableJSON
	if err := json.Unmarshal([]byte(s), &vj); err != nil {
		return cty.NilVal, errors.New(`it is not a JSON object with "value" and "type"`)
	}
	if vj.Value == nil || vj.Type == nil {
		return cty.NilVal, errors.New(`it needs both "value" and "type"`)
	}
	ty, err := ctyjson.UnmarshalType(vj.Type)
	if err != nil {
		return cty.NilVal, errors.New("its type is not a type")
	}
	val, err := ctyjson.Unmarshal(vj.Value, ty)
	if err != nil {
		return cty.NilVal, fmt.Errorf("its value is not a %s", ty.FriendlyName())
	}
	return val, nil
}

func describeEncodeError(err error, sensitive bool) string {
	if sensitive {
		return "the value is sensitive, so the reason is not shown"
	}
	return err.Error()
}

// variables is Config.Variables: every declared variable's final value.
func (l *loader) variables() []Variable {
	out := make([]Variable, 0, len(l.varOrder))
	for _, name := range l.varOrder {
		v := l.vars[name]
		val := l.varValues[name]
		raw, _ := val.UnmarkDeep()
		if !raw.IsWhollyKnown() {
			// Only an error (reported) leaves a value unknown, and then
			// there is no Config.
			continue
		}
		enc, err := encodeVariableValue(raw)
		if err != nil {
			l.diags = append(l.diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Cannot record a variable's value",
				Detail:   fmt.Sprintf("The value of var.%s cannot be written as JSON, so no plan could replay it: %s.", name, describeEncodeError(err, v.sensitive)),
				Subject:  v.declRange.Ptr(),
			})
			continue
		}
		out = append(out, Variable{Name: name, Sensitive: v.sensitive, Source: v.source, CredentialOnly: !l.uses[name]})
		if v.sensitive {
			out[len(out)-1].Secret = sensitive.New(enc)
		} else {
			out[len(out)-1].Value = enc
		}
	}
	return out
}
