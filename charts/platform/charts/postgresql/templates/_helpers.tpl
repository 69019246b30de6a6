{{/*
Secret holding the superuser and per-owner passwords.
*/}}
{{- define "postgresql.secretName" -}}
{{- .Values.auth.existingSecret | default (include "common.fullname" .) -}}
{{- end -}}

{{/*
Distinct database owners, in first-seen order.
*/}}
{{- define "postgresql.owners" -}}
{{- $owners := list -}}
{{- range .Values.databases }}{{ $owners = append $owners .owner }}{{ end -}}
{{- $owners | uniq | toJson -}}
{{- end -}}

{{/*
Environment variable carrying an owner's password into the pod.
*/}}
{{- define "postgresql.ownerPasswordEnv" -}}
{{- printf "OWNER_PASSWORD_%s" (. | upper | replace "-" "_") -}}
{{- end -}}

{{/*
PostgreSQL 18 images moved PGDATA to /var/lib/postgresql/<major>/docker and the
volume to /var/lib/postgresql; older majors keep /var/lib/postgresql/data.
*/}}
{{- define "postgresql.major" -}}
{{- regexFind "^[0-9]+" (toString .Values.image.tag) | default "17" -}}
{{- end -}}

{{- define "postgresql.mountPath" -}}
{{- if ge (include "postgresql.major" . | int) 18 -}}/var/lib/postgresql{{- else -}}/var/lib/postgresql/data{{- end -}}
{{- end -}}

{{- define "postgresql.pgdata" -}}
{{- if ge (include "postgresql.major" . | int) 18 -}}
{{- printf "/var/lib/postgresql/%s/docker" (include "postgresql.major" .) -}}
{{- else -}}
/var/lib/postgresql/data/pgdata
{{- end -}}
{{- end -}}

{{/*
Environment shared by the server and the database bootstrap job.
*/}}
{{- define "postgresql.passwordEnv" -}}
- name: POSTGRES_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "postgresql.secretName" . }}
      key: postgres-password
{{- range (include "postgresql.owners" . | fromJsonArray) }}
- name: {{ include "postgresql.ownerPasswordEnv" . }}
  valueFrom:
    secretKeyRef:
      name: {{ include "postgresql.secretName" $ }}
      key: {{ . }}-password
{{- end }}
{{- end -}}
