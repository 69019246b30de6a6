{{/*
storageClassName line for a PVC: (dict "persistence" .Values.persistence "context" $).
The chart's class wins, then global.storageClass; "-" means no class at all;
empty leaves the cluster default.
*/}}
{{- define "common.storageClass" -}}
{{- $global := .context.Values.global | default dict -}}
{{- $class := .persistence.storageClass | default $global.storageClass -}}
{{- if eq $class "-" -}}
storageClassName: ""
{{- else if $class -}}
storageClassName: {{ $class | quote }}
{{- end -}}
{{- end -}}
