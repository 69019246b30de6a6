{{/*
Standard labels: (dict "context" $ "component" "server"); component is optional.
*/}}
{{- define "common.labels" -}}
{{- $ctx := .context -}}
helm.sh/chart: {{ printf "%s-%s" $ctx.Chart.Name $ctx.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "common.selectorLabels" . }}
app.kubernetes.io/version: {{ $ctx.Chart.AppVersion | default $ctx.Chart.Version | quote }}
app.kubernetes.io/part-of: mlops-platform
app.kubernetes.io/managed-by: {{ $ctx.Release.Service }}
{{- end -}}

{{/*
Selector labels: the stable subset, never changed on upgrade.
*/}}
{{- define "common.selectorLabels" -}}
app.kubernetes.io/name: {{ include "common.name" .context }}
app.kubernetes.io/instance: {{ .context.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end -}}
