{{/*
Names and labels.
*/}}
{{- define "cohost.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "cohost.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "cohost.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "cohost.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cohost.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "cohost.labels" -}}
helm.sh/chart: {{ include "cohost.chart" . }}
{{ include "cohost.selectorLabels" . }}
app.kubernetes.io/version: {{ include "cohost.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: server
app.kubernetes.io/part-of: cohost
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "cohost.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "cohost.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "cohost.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{- define "cohost.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "cohost.imageTag" .) }}
{{- end }}
{{- end }}

{{/*
Shape.
*/}}
{{- define "cohost.isPostgres" -}}
{{- if eq .Values.database.engine "postgres" }}true{{ end }}
{{- end }}

{{- define "cohost.pdbEnabled" -}}
{{- $on := .Values.podDisruptionBudget.enabled }}
{{- if kindIs "invalid" $on }}{{ $on = eq .Values.database.engine "postgres" }}{{ end }}
{{- if $on }}true{{ end }}
{{- end }}

{{/*
Secrets: the Secret holding cohostd's secrets, and the list of files mounted from it (and from the
database Secret) as JSON: [{"env": NAME, "secret": secretName, "key": key}], sorted by NAME.
*/}}
{{- define "cohost.secretName" -}}
{{- default (include "cohost.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{- define "cohost.chartCreatesSecret" -}}
{{- if and .Values.secrets.create (not .Values.secrets.existingSecret) }}true{{ end }}
{{- end }}

{{- define "cohost.secretFiles" -}}
{{- $secret := include "cohost.secretName" . }}
{{- $files := list }}
{{- range $env := keys .Values.secrets.files | sortAlpha }}
{{- $key := get $.Values.secrets.files $env }}
{{- if $key }}
{{- $files = append $files (dict "env" $env "secret" $secret "key" $key) }}
{{- end }}
{{- end }}
{{- if include "cohost.isPostgres" . }}
{{- $pg := .Values.database.postgres }}
{{- $files = append $files (dict "env" "COHOST_DATABASE_URL" "secret" (default $secret $pg.existingSecret) "key" $pg.key) }}
{{- end }}
{{- toJson $files }}
{{- end }}

{{/*
Secret names the pods read, for Reloader.
*/}}
{{- define "cohost.secretNames" -}}
{{- $names := list }}
{{- range (include "cohost.secretFiles" . | fromJsonArray) }}
{{- $names = append $names .secret }}
{{- end }}
{{- $names | uniq | sortAlpha | join "," }}
{{- end }}

{{- define "cohost.policyConfigMapName" -}}
{{- default (printf "%s-policy" (include "cohost.fullname" .)) .Values.policy.existingConfigMap }}
{{- end }}

{{/*
Seconds of grace: Kubernetes sends SIGTERM after the preStop sleep, and cohostd then needs up to
config.shutdownTimeoutSeconds; 5 s more cover the process exit.
*/}}
{{- define "cohost.preStopSeconds" -}}
{{- if .Values.lifecycle.preStopSleep.enabled }}{{ int .Values.lifecycle.preStopSleep.seconds }}{{ else }}0{{ end }}
{{- end }}

{{- define "cohost.terminationGracePeriodSeconds" -}}
{{- $needed := add (include "cohost.preStopSeconds" . | int) (int .Values.config.shutdownTimeoutSeconds) }}
{{- if kindIs "invalid" .Values.terminationGracePeriodSeconds }}
{{- add $needed 5 }}
{{- else }}
{{- int .Values.terminationGracePeriodSeconds }}
{{- end }}
{{- end }}

{{/*
COHOST_PUBLIC_URL: config.publicUrl, else https://<first ingress host>.
*/}}
{{- define "cohost.publicUrl" -}}
{{- if .Values.config.publicUrl }}
{{- .Values.config.publicUrl | trimSuffix "/" }}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts }}
{{- printf "https://%s" (first .Values.ingress.hosts).host }}
{{- end }}
{{- end }}

{{/*
The granters cohostd will run. Its default (config.Load) when COHOST_GRANTERS is empty:
host-client,permissions when it has a public URL and Meeting SDK credentials (in oauth mode the
app's own client id and secret when no SDK key and secret are set), else permissions. Never agent.
*/}}
{{- define "cohost.granters" -}}
{{- $v := .Values }}
{{- $g := $v.config.granters }}
{{- if not $g }}
{{- $sdkKey := not (empty $v.config.zoom.sdkKey) }}
{{- $sdkSecret := not (empty (get $v.secrets.files "ZOOM_SDK_SECRET")) }}
{{- $sdk := or (and $sdkKey $sdkSecret) (and (eq $v.config.zoom.authMode "oauth") (not $sdkKey) (not $sdkSecret)) }}
{{- $g = ternary "host-client,permissions" "permissions" (and $sdk (not (empty (include "cohost.publicUrl" .)))) }}
{{- end }}
{{- $g | nospace }}
{{- end }}

{{/*
PromQL matchers selecting this release's series.
*/}}
{{- define "cohost.ruleSelector" -}}
{{- default (printf "job=%q,namespace=%q" (include "cohost.fullname" .) .Release.Namespace) .Values.metrics.prometheusRule.selector }}
{{- end }}

{{/*
Refuse configurations that cannot work, with one line naming the value to change.
*/}}
{{- define "cohost.validate" -}}
{{- $v := .Values }}
{{- $engine := $v.database.engine }}
{{- if not (has $engine (list "sqlite" "postgres")) }}
{{- fail (printf "database.engine must be sqlite or postgres, not %q" $engine) }}
{{- end }}
{{- if eq $engine "sqlite" }}
{{- if ne (int $v.replicaCount) 1 }}
{{- fail "database.engine=sqlite allows exactly one replica (replicaCount=1); move to PostgreSQL first to scale out (docs/operations.md, Scaling out)" }}
{{- end }}
{{- if $v.autoscaling.enabled }}
{{- fail "autoscaling.enabled needs database.engine=postgres: SQLite allows one replica" }}
{{- end }}
{{- if eq (toString $v.podDisruptionBudget.enabled) "true" }}
{{- fail "podDisruptionBudget.enabled needs database.engine=postgres: with one SQLite replica a PDB only blocks node drains" }}
{{- end }}
{{- if and $v.strategy (ne (toString $v.strategy.type) "Recreate") }}
{{- fail "strategy must be Recreate with database.engine=sqlite: two pods must never open the database file at once" }}
{{- end }}
{{- if not (hasPrefix "/data/" $v.database.sqlite.path) }}
{{- fail (printf "database.sqlite.path must be a file under /data/ (the volume), not %q" $v.database.sqlite.path) }}
{{- end }}
{{- else }}
{{- if not $v.database.postgres.key }}
{{- fail "database.postgres.key must name the key of the PostgreSQL URL in its Secret" }}
{{- end }}
{{- end }}
{{- if not (get $v.secrets.files "ZOOM_WEBHOOK_SECRET_TOKEN") }}
{{- fail "secrets.files.ZOOM_WEBHOOK_SECRET_TOKEN must name a key: cohostd refuses to start without a webhook secret" }}
{{- end }}
{{- if and (eq $v.config.zoom.authMode "oauth") (not (get $v.secrets.files "COHOST_ENCRYPTION_KEY")) }}
{{- fail "secrets.files.COHOST_ENCRYPTION_KEY must name a key in oauth mode: refresh tokens are stored encrypted" }}
{{- end }}
{{- if and (eq $v.config.zoom.authMode "oauth") (not (include "cohost.publicUrl" .)) }}
{{- fail "config.publicUrl (COHOST_PUBLIC_URL) is required in oauth mode: Zoom redirects installs to <publicUrl>/oauth/callback; set it or enable the ingress" }}
{{- end }}
{{- if not (get $v.secrets.files "ZOOM_CLIENT_SECRET") }}
{{- fail "secrets.files.ZOOM_CLIENT_SECRET must name a key: cohostd needs the app's client secret" }}
{{- end }}
{{- if has "agent" (include "cohost.granters" . | splitList ",") }}
{{- if or (not $v.config.agentUrl) (not $v.config.zoom.sdkKey) (not (get $v.secrets.files "COHOST_AGENT_SECRET")) (not (get $v.secrets.files "ZOOM_SDK_SECRET")) }}
{{- fail "the agent granter needs config.agentUrl, config.zoom.sdkKey, secrets.files.COHOST_AGENT_SECRET and secrets.files.ZOOM_SDK_SECRET" }}
{{- end }}
{{- end }}
{{- if not (has $v.config.zoom.authMode (list "s2s" "oauth")) }}
{{- fail (printf "config.zoom.authMode must be s2s or oauth, not %q" $v.config.zoom.authMode) }}
{{- end }}
{{- $granters := include "cohost.granters" . | splitList "," }}
{{- if has "host-client" $granters }}
{{- $sdkKey := not (empty $v.config.zoom.sdkKey) }}
{{- $sdkSecret := not (empty (get $v.secrets.files "ZOOM_SDK_SECRET")) }}
{{- if or (not (include "cohost.publicUrl" .)) (and (ne $v.config.zoom.authMode "oauth") (not (and $sdkKey $sdkSecret))) (ne $sdkKey $sdkSecret) }}
{{- fail "the host-client granter needs config.publicUrl (or the ingress), config.zoom.sdkKey and secrets.files.ZOOM_SDK_SECRET (in oauth mode the app's own client id and secret serve when both are unset)" }}
{{- end }}
{{- end }}
{{- if and $v.config.zoom.signinClientId (not (has "host-client" $granters)) }}
{{- fail "config.zoom.signinClientId turns on the host portal, which starts meetings on the host page: add host-client to config.granters, or give the host-client granter what it needs" }}
{{- end }}
{{- if ne (empty $v.config.zoom.signinClientId) (empty (get $v.secrets.files "ZOOM_SIGNIN_CLIENT_SECRET")) }}
{{- fail "the host portal needs both config.zoom.signinClientId and secrets.files.ZOOM_SIGNIN_CLIENT_SECRET (the sign-in app's Client ID and Secret), or neither" }}
{{- end }}
{{- $allowed := list "ZOOM_WEBHOOK_SECRET_TOKEN" "ZOOM_CLIENT_SECRET" "ZOOM_SDK_SECRET" "COHOST_AGENT_SECRET" "COHOST_ADMIN_SECRET" "COHOST_ENCRYPTION_KEY" "ZOOM_SIGNIN_CLIENT_SECRET" "COHOST_DATABASE_URL" }}
{{- range $name, $_ := $v.secrets.files }}
{{- if not (has $name $allowed) }}
{{- fail (printf "secrets.files.%s is not a secret cohostd reads; known: %s" $name (join ", " $allowed)) }}
{{- end }}
{{- end }}
{{- if include "cohost.chartCreatesSecret" . }}
{{- range $name, $_ := $v.secrets.values }}
{{- if not (has $name $allowed) }}
{{- fail (printf "secrets.values.%s is not a secret cohostd reads; known: %s" $name (join ", " $allowed)) }}
{{- end }}
{{- end }}
{{- range $f := (include "cohost.secretFiles" $ | fromJsonArray) }}
{{- if and (eq $f.secret (include "cohost.secretName" $)) (not (hasKey $v.secrets.values $f.env)) }}
{{- fail (printf "secrets.create is on but secrets.values.%s is missing" $f.env) }}
{{- end }}
{{- end }}
{{- end }}
{{- $needed := add (include "cohost.preStopSeconds" . | int) (int $v.config.shutdownTimeoutSeconds) }}
{{- if le (include "cohost.terminationGracePeriodSeconds" . | int) $needed }}
{{- fail (printf "terminationGracePeriodSeconds must be larger than the preStop sleep plus config.shutdownTimeoutSeconds (%d s), or in-flight webhooks are cut off" $needed) }}
{{- end }}
{{- if and (not (kindIs "invalid" $v.podDisruptionBudget.minAvailable)) (not (kindIs "invalid" $v.podDisruptionBudget.maxUnavailable)) }}
{{- fail "podDisruptionBudget: set minAvailable or maxUnavailable, not both (set the other to null)" }}
{{- end }}
{{- end }}
