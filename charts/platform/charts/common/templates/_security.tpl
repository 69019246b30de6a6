{{/*
Security contexts come from values (podSecurityContext, containerSecurityContext,
as cert-manager's chart does), so UIDs live in values.yaml, not in templates.
(dict "securityContext" .Values.podSecurityContext): the `securityContext:` key
and its block, or nothing when the block is empty.
*/}}
{{- define "common.securityContext" -}}
{{- with .securityContext -}}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end -}}
{{- end -}}
