{{/*
Pod security context: non-root with a fixed UID/GID and the runtime's seccomp
profile. (dict "uid" 1000 "gid" 1000 "fsGroup" true)
*/}}
{{- define "common.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .gid | default .uid }}
{{- if .fsGroup }}
fsGroup: {{ .gid | default .uid }}
fsGroupChangePolicy: OnRootMismatch
{{- end }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
Container security context: no privilege escalation, no capabilities,
read-only root filesystem unless the image cannot run that way (readOnly false).
*/}}
{{- define "common.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: {{ ternary false true (eq (toString .readOnly) "false") }}
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
{{- end -}}
