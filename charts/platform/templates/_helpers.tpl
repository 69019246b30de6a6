{{/*
Name of a component's in-cluster Service: "<release>-<component>".
*/}}
{{- define "platform.serviceName" -}}
{{- printf "%s-%s" .context.Release.Name .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Secret holding the PostgreSQL passwords (the generated one unless existingSecret is set).
*/}}
{{- define "platform.postgresqlSecret" -}}
{{- .Values.postgresql.auth.existingSecret | default (include "platform.serviceName" (dict "context" . "component" "postgresql")) -}}
{{- end -}}
