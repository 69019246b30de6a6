{{/*
Object names of the components: (dict "context" $ "component" "core").
*/}}
{{- define "harbor.name" -}}
{{- include "common.componentName" . -}}
{{- end -}}

{{/*
Secret holding every generated key (or the user's existingSecret).
*/}}
{{- define "harbor.secretName" -}}
{{- .Values.existingSecret | default (include "common.fullname" .) -}}
{{- end -}}

{{/*
In-cluster URLs of the components (Services listen on 80, registry on 5000,
registryctl on 8080).
*/}}
{{- define "harbor.coreURL" -}}
{{- printf "http://%s" (include "harbor.name" (dict "context" . "component" "core")) -}}
{{- end -}}

{{- define "harbor.portalURL" -}}
{{- printf "http://%s" (include "harbor.name" (dict "context" . "component" "portal")) -}}
{{- end -}}

{{- define "harbor.jobserviceURL" -}}
{{- printf "http://%s" (include "harbor.name" (dict "context" . "component" "jobservice")) -}}
{{- end -}}

{{- define "harbor.registryURL" -}}
{{- printf "http://%s:5000" (include "harbor.name" (dict "context" . "component" "registry")) -}}
{{- end -}}

{{- define "harbor.registryControllerURL" -}}
{{- printf "http://%s:8080" (include "harbor.name" (dict "context" . "component" "registry")) -}}
{{- end -}}

{{/*
Redis: one instance, one database index per consumer (core 0, jobservice 1,
registry 2), as Harbor's own installer lays them out.
*/}}
{{- define "harbor.redisAddr" -}}
{{- printf "%s:6379" (include "harbor.name" (dict "context" . "component" "redis")) -}}
{{- end -}}

{{- define "harbor.redisURL" -}}
{{- printf "redis://%s/%v" (include "harbor.redisAddr" .context) .db -}}
{{- end -}}

{{/*
The URL clients use: externalURL, else the ingress host (https when the ingress
has a TLS issuer), else the in-cluster core Service.
*/}}
{{- define "harbor.externalURL" -}}
{{- if .Values.externalURL -}}
{{- .Values.externalURL | trimSuffix "/" -}}
{{- else if .Values.ingress.enabled -}}
{{- $args := dict "ingress" .Values.ingress "component" "harbor" "context" . -}}
{{- $scheme := ternary "https" "http" (ne (include "common.ingressTLSIssuer" $args) "") -}}
{{- printf "%s://%s" $scheme (include "common.ingressHost" $args) -}}
{{- else -}}
{{- include "harbor.coreURL" . -}}
{{- end -}}
{{- end -}}

{{/*
Generated secret data, computed once per render and cached on the root
context, so the Secret and the checksum annotations of the pods that use it
see the same bytes. Every value survives upgrades:
- random keys via common.keptSecretValue (stored value wins);
- the registry htpasswd line (bcrypt, random salt) is reused while the stored
  password and user are unchanged, so upgrades do not roll the registry;
- the token-service signing pair is generated only when the Secret has none;
  otherwise the stored PEM (base64, as lookup returns it) is reused, so every
  core replica and every upgrade signs and verifies with the same key.
*/}}
{{- define "harbor.secretData" -}}
{{- if not (hasKey . "harborSecretDataCache") -}}
{{- $name := include "common.fullname" . -}}
{{- $stored := (lookup "v1" "Secret" .Release.Namespace $name).data | default dict -}}
{{- $kept := dict "context" . "secret" $name -}}
{{- $data := dict -}}
{{- $_ := set $data "secretKey" (include "common.keptSecretValue" (merge (dict "key" "secretKey" "length" 16) $kept)) -}}
{{- $_ := set $data "CORE_SECRET" (include "common.keptSecretValue" (merge (dict "key" "CORE_SECRET" "length" 32) $kept)) -}}
{{- $_ := set $data "CSRF_KEY" (include "common.keptSecretValue" (merge (dict "key" "CSRF_KEY" "length" 32) $kept)) -}}
{{- $_ := set $data "JOBSERVICE_SECRET" (include "common.keptSecretValue" (merge (dict "key" "JOBSERVICE_SECRET" "length" 32) $kept)) -}}
{{- $_ := set $data "REGISTRY_HTTP_SECRET" (include "common.keptSecretValue" (merge (dict "key" "REGISTRY_HTTP_SECRET" "length" 32) $kept)) -}}
{{- if not .Values.admin.existingSecret -}}
{{- $_ := set $data "HARBOR_ADMIN_PASSWORD" (include "common.keptSecretValue" (merge (dict "key" "HARBOR_ADMIN_PASSWORD" "length" 20) $kept)) -}}
{{- end -}}
{{- $password := include "common.keptSecretValue" (merge (dict "key" "REGISTRY_CREDENTIAL_PASSWORD" "length" 32) $kept) -}}
{{- $_ := set $data "REGISTRY_CREDENTIAL_PASSWORD" $password -}}
{{- $user := .Values.registry.credentials.username -}}
{{- $storedLine := get $stored "REGISTRY_HTPASSWD" | default "" | b64dec -}}
{{- if and (eq (get $stored "REGISTRY_CREDENTIAL_PASSWORD" | default "") $password) (hasPrefix (printf "%s:" $user) $storedLine) -}}
{{- $_ := set $data "REGISTRY_HTPASSWD" (get $stored "REGISTRY_HTPASSWD") -}}
{{- else -}}
{{- $_ := set $data "REGISTRY_HTPASSWD" (htpasswd $user (b64dec $password) | b64enc) -}}
{{- end -}}
{{- if and (get $stored "tls.key") (get $stored "tls.crt") -}}
{{- $_ := set $data "tls.key" (get $stored "tls.key") -}}
{{- $_ := set $data "tls.crt" (get $stored "tls.crt") -}}
{{- else -}}
{{- $cert := genSelfSignedCertWithKey "harbor-token-issuer" nil nil 3650 (genPrivateKey "rsa") -}}
{{- $_ := set $data "tls.key" ($cert.Key | b64enc) -}}
{{- $_ := set $data "tls.crt" ($cert.Cert | b64enc) -}}
{{- end -}}
{{- $_ := set . "harborSecretDataCache" $data -}}
{{- end -}}
{{- toYaml (get . "harborSecretDataCache") -}}
{{- end -}}

{{/*
Pod placement shared by every Harbor pod.
*/}}
{{- define "harbor.podPlacement" -}}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
An env var from the chart's Secret: (dict "context" $ "name" "CORE_SECRET").
*/}}
{{- define "harbor.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "harbor.secretName" .context }}
      key: {{ .key | default .name }}
{{- end -}}

{{/*
Extra trusted CAs (caBundleSecret): mounted as a directory and added to the Go
trust store through SSL_CERT_DIR; the image's own bundle file is still read.
The images' install_cert.sh entrypoints are not used (they rewrite files in
the read-only root filesystem).
*/}}
{{- define "harbor.caBundleEnv" -}}
{{- if .Values.caBundleSecret }}
- name: SSL_CERT_DIR
  value: /harbor_cust_cert
{{- end }}
{{- end -}}

{{- define "harbor.caBundleMount" -}}
{{- if .Values.caBundleSecret }}
- name: ca-bundle
  mountPath: /harbor_cust_cert
  readOnly: true
{{- end }}
{{- end -}}

{{- define "harbor.caBundleVolume" -}}
{{- if .Values.caBundleSecret }}
- name: ca-bundle
  secret:
    secretName: {{ .Values.caBundleSecret }}
{{- end }}
{{- end -}}

{{/*
Checksum of the chart's Secret (empty when an existingSecret is used).
*/}}
{{- define "harbor.secretChecksum" -}}
{{- include "common.checksum" (dict "context" . "template" "/secret.yaml") -}}
{{- end -}}

{{/*
Registry Deployment strategy: a ReadWriteOnce volume cannot be attached to the
old and the new pod at once, so those roll by Recreate.
*/}}
{{- define "harbor.registryStrategy" -}}
{{- $p := .Values.registry.persistence -}}
{{- ternary "Recreate" "RollingUpdate" (and $p.enabled (not (has "ReadWriteMany" $p.accessModes))) -}}
{{- end -}}

{{/*
Value combinations the schema cannot express.
*/}}
{{- define "harbor.validate" -}}
{{- $p := .Values.registry.persistence -}}
{{- if and (gt (int .Values.registry.replicas) 1) $p.enabled (not (has "ReadWriteMany" $p.accessModes)) -}}
{{- fail "registry.replicas > 1 needs registry.persistence.accessModes [ReadWriteMany] (replicas share the image store)" -}}
{{- end -}}
{{- end -}}
