{{/*
Chart name, honouring nameOverride.
*/}}
{{- define "common.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Fully qualified name: fullnameOverride, else "<release>-<chart>" (or just the
release name when it already contains the chart name).
*/}}
{{- define "common.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Name of a component of this chart: (dict "context" $ "component" "core").
*/}}
{{- define "common.componentName" -}}
{{- printf "%s-%s" (include "common.fullname" .context) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Service account name: (dict "serviceAccount" .Values.serviceAccount "context" $),
optionally "default" (the name when created; default: the fullname).
The given name, else the default when created, else "default".
*/}}
{{- define "common.serviceAccountName" -}}
{{- if .serviceAccount.create -}}
{{- .serviceAccount.name | default .default | default (include "common.fullname" .context) -}}
{{- else -}}
{{- .serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}
