{{/*
Image reference: (dict "image" .Values.image "context" $).
Registry: global.imageRegistry wins over image.registry; a digest wins over the tag.
A missing or floating tag fails the render, since it cannot be rolled back.
*/}}
{{- define "common.image" -}}
{{- $global := .context.Values.global | default dict -}}
{{- $registry := $global.imageRegistry | default .image.registry -}}
{{- $repository := required "image.repository is required" .image.repository -}}
{{- $name := ternary (printf "%s/%s" $registry $repository) $repository (not (empty $registry)) -}}
{{- if .image.digest -}}
{{- printf "%s@%s" $name .image.digest -}}
{{- else -}}
{{- $tag := required (printf "image.tag is required for %s" $repository) .image.tag | toString -}}
{{- if eq $tag "latest" -}}
{{- fail (printf "image %s: the tag \"latest\" is not allowed; pin a version" $repository) -}}
{{- end -}}
{{- printf "%s:%s" $name $tag -}}
{{- end -}}
{{- end -}}

{{/*
imagePullSecrets from global.imagePullSecrets and the chart's own list.
*/}}
{{- define "common.imagePullSecrets" -}}
{{- $global := .Values.global | default dict -}}
{{- $secrets := concat ($global.imagePullSecrets | default list) (.Values.imagePullSecrets | default list) | uniq -}}
{{- if $secrets }}
imagePullSecrets:
{{- range $secrets }}
  - name: {{ if kindIs "map" . }}{{ .name }}{{ else }}{{ . }}{{ end }}
{{- end }}
{{- end }}
{{- end -}}
