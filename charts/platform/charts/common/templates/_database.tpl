{{/*
Connection to the platform's PostgreSQL (charts/postgresql), for consumers
whose values have a `database` block: {host, port, name, user, existingSecret, passwordKey}.
Empty host/existingSecret mean the platform's own "<release>-postgresql".
*/}}
{{- define "common.databaseHost" -}}
{{- .Values.database.host | default (printf "%s-postgresql" .Release.Name) -}}
{{- end -}}

{{- define "common.databaseSecret" -}}
{{- .Values.database.existingSecret | default (printf "%s-postgresql" .Release.Name) -}}
{{- end -}}
