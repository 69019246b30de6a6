{{/*
A generated secret value that survives upgrades: the value already stored in
the named Secret when it exists (lookup), else a fresh random one.
(dict "context" $ "secret" "name" "key" "password" "length" 32)
Under `helm template` lookup returns nothing, so every render generates anew;
on a real install and upgrade the stored value is reused.
*/}}
{{- define "common.keptSecretValue" -}}
{{- $existing := lookup "v1" "Secret" .context.Release.Namespace .secret -}}
{{- if and $existing $existing.data (hasKey $existing.data .key) -}}
{{- index $existing.data .key -}}
{{- else -}}
{{- randAlphaNum (.length | default 32 | int) | b64enc -}}
{{- end -}}
{{- end -}}

{{/*
Checksum of a rendered template, for annotations that roll pods when it changes.
(dict "context" $ "template" "/configmap.yaml")
*/}}
{{- define "common.checksum" -}}
{{- include (print .context.Template.BasePath .template) .context | sha256sum -}}
{{- end -}}
