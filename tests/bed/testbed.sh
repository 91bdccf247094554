#!/usr/bin/env bash
# MailPorter's real-server test bed on loopback: Dovecot (POP3/IMAP, the
# "provider") and a private Postfix instance (SMTP, the "office server").
#
#   tests/bed/testbed.sh up DIR BASEPORT    start everything under DIR
#   tests/bed/testbed.sh down DIR           stop everything started under DIR
#   tests/bed/testbed.sh status DIR         say what runs (exit 1 if not up)
#   tests/bed/testbed.sh add-users DIR N    add remote boxes bulk1..bulkN to a running
#                                           bed (password bulk-Secret-<i>); Dovecot
#                                           re-reads its passwd-file, no restart
#
# Everything lives under DIR: certificates, configs, queues, mailboxes, logs,
# pid files. Nothing under /etc is written and no system service is touched;
# the only change outside DIR is the unprivileged system user that owns the
# mail files (created once with useradd --system if it does not exist).
# Every listener binds 127.0.0.1. Ports (B = BASEPORT):
#   B+0 POP3 (STLS)   B+1 POP3S   B+2 IMAP (STARTTLS)   B+3 IMAPS
#   B+4 POP3S and B+5 IMAPS with a self-signed certificate (second Dovecot)
#   B+10 SMTP (STARTTLS offered, no AUTH)
#   B+11 submission (STARTTLS required, then AUTH PLAIN/LOGIN via Dovecot)
#   B+12 HTTP OAuth2 server stand-in (oauth_server.py; see oauth-bed.sh)
# `up` writes DIR/bed.env: shell KEY=VALUE lines (values single-quoted).
set -euo pipefail

MAIL_USER=mailporter-bed
MARKER=.mailporter-testbed
POSTFIX_SBIN=/usr/lib/postfix/sbin
BED_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$BED_SCRIPTS/oauth-bed.sh"  # write_dovecot_oauth, start_oauth
REMOTE_USERS=(alice bob carol catchall)
OFFICE_USERS=(alice bob carol postmaster)
OFFICE_DOMAIN=office.test
OFFICE_SIZE_LIMIT=62914560   # 60 MB

die() { echo "testbed: $*" >&2; exit 1; }

usage() {
  echo "usage: $0 up DIR BASEPORT | down DIR | status DIR | add-users DIR N" >&2
  exit 2
}

# Shell single-quoting for bed.env.
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

abspath() {
  case "$1" in
    /*) printf '%s' "$1" ;;
    *) printf '%s/%s' "$PWD" "$1" ;;
  esac
}

# --- process handling --------------------------------------------------------

# pid_alive PID EXE_SUBSTRING: the pid runs (a zombie does not count: some
# init systems reap late) and its executable matches.
pid_alive() {
  local pid=$1 want=$2 exe st
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  st=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -c1) || return 1
  [ "$st" != Z ] && [ -n "$st" ] || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
  case "$exe" in *"$want"*) return 0 ;; esac
  return 1
}

# group_alive PGID: a live (non-zombie) process still belongs to group PGID.
group_alive() {
  ps -e -o pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'
}

# group_is FAMILY PGID: some live member of group PGID runs an executable
# whose path contains FAMILY (the group is still ours, not a reused id).
group_is() {
  local family=$1 pgid=$2 p exe
  for p in $(ps -e -o pid=,pgid=,stat= | awk -v g="$pgid" '$2 == g && $3 !~ /^Z/ { print $1 }'); do
    exe=$(readlink "/proc/$p/exe" 2>/dev/null || true)
    case "$exe" in *"$family"*) return 0 ;; esac
  done
  return 1
}

# stop_master PIDFILE MASTER_EXE FAMILY: TERM the daemon's master and its
# children, wait, then KILL what is left of its process group (both daemons
# setsid(), so the group is theirs; children of a crashed master are found
# the same way).
stop_master() {
  local pidfile=$1 want=$2 family=$3 pid _
  [ -f "$pidfile" ] || return 0
  pid=$(tr -dc '0-9' <"$pidfile" || true)
  if [ -n "$pid" ] && { pid_alive "$pid" "$want" || group_is "$family" "$pid"; }; then
    # TERM the whole group: children exit at once instead of waiting for the
    # master to tell them.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do
      pid_alive "$pid" "$want" || break
      sleep 0.01
    done
    if pid_alive "$pid" "$want"; then kill -KILL "$pid" 2>/dev/null || true; fi
    for _ in $(seq 1 100); do
      group_alive "$pid" || break
      sleep 0.01
    done
    if group_is "$family" "$pid"; then kill -KILL -- "-$pid" 2>/dev/null || true; fi
    for _ in $(seq 1 100); do
      group_alive "$pid" || break
      sleep 0.01
    done
  fi
  rm -f "$pidfile"
}

cmd_down() {
  local dir=$1
  [ -d "$dir" ] || return 0
  [ -e "$dir/$MARKER" ] || die "$dir is not a test bed directory (no $MARKER)"
  # Independent daemons: stop them in parallel.
  stop_master "$dir/postfix-queue/pid/master.pid" "$POSTFIX_SBIN/master" /usr/lib/postfix/ &
  stop_master "$dir/dovecot/run/master.pid" /usr/sbin/dovecot /dovecot &
  stop_master "$dir/dovecot-ss/run/master.pid" /usr/sbin/dovecot /dovecot &
  stop_master "$dir/oauth/oauth.pid" "$PYTHON" /python3 &
  wait
  rm -f "$dir/bed.up"
}

cmd_status() {
  local dir=$1 ok=0 pid
  for f in dovecot/run/master.pid dovecot-ss/run/master.pid postfix-queue/pid/master.pid oauth/oauth.pid; do
    pid=""
    if [ -f "$dir/$f" ]; then pid=$(tr -dc '0-9' <"$dir/$f" || true); fi
    if [ -n "$pid" ] && [ -d "/proc/$pid" ]; then
      echo "running  $f (pid $pid)"
    else
      echo "stopped  $f"; ok=1
    fi
  done
  return $ok
}

# --- up ----------------------------------------------------------------------

ensure_mail_user() {
  if ! getent passwd "$MAIL_USER" >/dev/null; then
    useradd --system --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin --user-group "$MAIL_USER" 2>/dev/null ||
      getent passwd "$MAIL_USER" >/dev/null || die "cannot create user $MAIL_USER"
  fi
  MAIL_UID=$(id -u "$MAIL_USER")
  MAIL_GID=$(id -g "$MAIL_USER")
}

make_certs() {
  local c=$1/certs
  mkdir -p "$c"
  (
    cd "$c"
    # CA
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -keyout ca.key -out ca.pem -days 3650 -subj "/CN=MailPorter Test Bed CA" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    # Server certificate for localhost, signed by the CA.
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
    printf '%s\n' "basicConstraints=CA:FALSE" \
      "keyUsage=critical,digitalSignature,keyEncipherment" \
      "extendedKeyUsage=serverAuth" \
      "subjectAltName=DNS:localhost,IP:127.0.0.1" >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
      -out server.pem -days 3650 -extfile server.ext 2>/dev/null
    # A second, self-signed certificate for the refuse/pin test cases.
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -keyout selfsigned.key -out selfsigned.pem -days 3650 -subj "/CN=localhost" \
      -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
    chmod 644 ./*.pem
    chmod 600 ./*.key
  )
  cp "$c/ca.pem" "$1/ca.pem"
}

# sha256_of PEM: the certificate's SHA-256 fingerprint, 64 lowercase hex.
sha256_of() {
  openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'
}

# write_dovecot_conf CONFDIR INSTANCE LOGNAME CERT KEY POP3 POP3S IMAP IMAPS WITH_SASL WITH_OAUTH PREFIXED
# PREFIXED=yes: the personal namespace is "INBOX." with "." (as Courier and
# Cyrus name folders: INBOX.Archive), and the mailbox list index is on, so
# the instance offers NOTIFY (RFC 5465). Its indexes live apart from the
# other instance's (the Maildirs are shared).
write_dovecot_conf() {
  local cd=$1 inst=$2 log=$3 cert=$4 key=$5 pop3=$6 pop3s=$7 imap=$8 imaps=$9 sasl=${10} oauth=${11} prefixed=${12:-no}
  local mechs="plain login cram-md5" pwmechs=""
  if [ "$oauth" = yes ]; then pwmechs="none $mechs"; mechs="$mechs xoauth2 oauthbearer"; fi
  mkdir -p "$cd/run"
  local index_at="" list_index=no
  if [ "$prefixed" = yes ]; then
    list_index=yes
    index_at=":INDEX=$cd/index/%n"
    mkdir -p "$cd/index"
    chown "$MAIL_UID:$MAIL_GID" "$cd/index"
  fi
  cat >"$cd/dovecot.conf" <<EOF
# Generated by tests/bed/testbed.sh: a private Dovecot for MailPorter's tests.
instance_name = $inst
base_dir = $cd/run
state_dir = $cd/state
log_path = $DIR/logs/$log.log
info_log_path = $DIR/logs/$log.log
protocols = pop3 imap
listen = 127.0.0.1
shutdown_clients = yes

ssl = yes
ssl_cert = <$cert
ssl_key = <$key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = $mechs
# Tests try wrong passwords on purpose: answer at once, no growing penalty.
auth_failure_delay = 0
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}

first_valid_uid = $MAIL_UID
last_valid_uid = $MAIL_UID
first_valid_gid = $MAIL_GID

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $DIR/users.passwd
  mechanisms = $pwmechs
}
userdb {
  driver = static
  args = uid=$MAIL_UID gid=$MAIL_GID home=$DIR/remote/%n
}
mail_location = maildir:$DIR/remote/%n/Maildir$index_at
mail_fsync = never
# Without the list index Dovecot offers no NOTIFY: this instance's push is
# IDLE per folder (the prefixed one has NOTIFY).
mailbox_list_index = $list_index
pop3_uidl_format = %08Xu%08Xv
mail_max_userip_connections = 1000

service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $pop3
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $pop3s
    ssl = yes
  }
}
# IMAP logins in Dovecot's high-performance mode (one long-lived login
# process, as many providers run it), so TLS session resumption can be seen;
# POP3 logins keep the high-security default (a process per connection).
service imap-login {
  service_count = 0
  process_min_avail = 1
  inet_listener imap {
    address = 127.0.0.1
    port = $imap
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $imaps
    ssl = yes
  }
}
EOF
  if [ "$sasl" = yes ]; then
    cat >>"$cd/dovecot.conf" <<EOF
# SMTP AUTH for the private Postfix (smtpd_sasl_type = dovecot).
service auth {
  unix_listener $DIR/run/auth-postfix {
    mode = 0660
    user = postfix
    group = postfix
  }
}
EOF
  fi
  if [ "$prefixed" = yes ]; then
    cat >>"$cd/dovecot.conf" <<EOF
# Folders under INBOX. (Courier, Cyrus).
namespace inbox {
  inbox = yes
  prefix = INBOX.
  separator = .
}
EOF
  fi
  if [ "$oauth" = yes ]; then write_dovecot_oauth "$cd"; fi
}

start_dovecot() {
  local conf=$1
  # Dovecot daemonises; it must not keep our stdout/stderr open.
  dovecot -c "$conf" </dev/null >>"$DIR/logs/start.log" 2>&1 ||
    die "dovecot failed to start with $conf (see $DIR/logs/)"
}

write_postfix_conf() {
  local pc=$DIR/postfix
  mkdir -p "$pc"
  local u
  : >"$pc/vmailbox"
  for u in "${OFFICE_USERS[@]}"; do
    printf '%s@%s %s/Maildir/\n' "$u" "$OFFICE_DOMAIN" "$u" >>"$pc/vmailbox"
  done
  cat >"$pc/main.cf" <<EOF
# Generated by tests/bed/testbed.sh: a private Postfix standing in for the
# office's mail server. It accepts mail for @$OFFICE_DOMAIN users only and
# never delivers anywhere else.
compatibility_level = 3.6
config_directory = $pc
queue_directory = $DIR/postfix-queue
data_directory = $DIR/postfix-data
mail_owner = postfix
setgid_group = postdrop
myhostname = office.test
mydomain = office.test
myorigin = office.test
mydestination =
local_recipient_maps =
local_transport = error:local delivery disabled
alias_maps =
alias_database =
relayhost =
default_transport = error:outside delivery disabled
relay_transport = error:outside delivery disabled
relay_domains =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_peername_lookup = no
biff = no
maillog_file_prefixes = $DIR/logs
maillog_file = $DIR/logs/postfix.log
fast_flush_domains =
notify_classes =

virtual_mailbox_domains = $OFFICE_DOMAIN
# alice+Archive@ is alice's (plus-addressed folder delivery, issue 18).
recipient_delimiter = +
virtual_mailbox_base = $DIR/office
virtual_mailbox_maps = texthash:$pc/vmailbox
virtual_uid_maps = static:$MAIL_UID
virtual_gid_maps = static:$MAIL_GID
virtual_minimum_uid = $MAIL_UID
virtual_mailbox_limit = 0
mailbox_size_limit = 0
message_size_limit = $OFFICE_SIZE_LIMIT
unknown_virtual_mailbox_reject_code = 550
smtpd_reject_unlisted_recipient = yes

smtpd_banner = \$myhostname ESMTP MailPorter test bed
smtpd_delay_reject = yes
smtpd_helo_required = no
smtpd_helo_restrictions =
smtpd_client_restrictions =
smtpd_sender_restrictions =
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions =
smtpd_client_connection_rate_limit = 0
smtpd_client_connection_count_limit = 0
smtpd_client_message_rate_limit = 0
smtpd_client_recipient_rate_limit = 0
smtpd_client_new_tls_session_rate_limit = 0
smtpd_client_auth_rate_limit = 0
smtpd_recipient_limit = 1000
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
smtpd_error_sleep_time = 0
smtpd_junk_command_limit = 100000
in_flow_delay = 0
default_process_limit = 50
# Keep daemons alive: respawning cleanup/virtual every 100 uses costs throughput.
max_use = 100000
max_idle = 300
qmgr_message_active_limit = 20000
virtual_destination_concurrency_limit = 8
virtual_destination_recipient_limit = 1

smtpd_tls_security_level = may
smtpd_tls_cert_file = $DIR/certs/server.pem
smtpd_tls_key_file = $DIR/certs/server.key
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_loglevel = 0
smtpd_tls_session_cache_database =
smtpd_sasl_auth_enable = no
smtpd_sasl_type = dovecot
smtpd_sasl_path = $DIR/run/auth-postfix
smtpd_sasl_security_options = noanonymous
broken_sasl_auth_clients = no
EOF
  local smtp=$((BASE + 10)) sub=$((BASE + 11))
  cat >"$pc/master.cf" <<EOF
# Generated by tests/bed/testbed.sh. No chroot anywhere.
127.0.0.1:$smtp inet n - n - - smtpd
127.0.0.1:$sub inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
  # Queue and data directories as postfix-files wants them.
  local qd=$DIR/postfix-queue d
  mkdir -p "$qd" "$DIR/postfix-data"
  chown postfix "$DIR/postfix-data"
  chmod 700 "$DIR/postfix-data"
  for d in active bounce corrupt defer deferred flush hold incoming private saved trace; do
    mkdir -p "$qd/$d"; chown postfix "$qd/$d"; chmod 700 "$qd/$d"
  done
  mkdir -p "$qd/maildrop" "$qd/public" "$qd/pid"
  chown postfix:postdrop "$qd/maildrop" "$qd/public"
  chmod 730 "$qd/maildrop"; chmod 710 "$qd/public"; chmod 755 "$qd/pid"
  # Postfix reloads a file changed within the last second until it is older
  # (a guard against half-written files): back-date what we just wrote.
  touch -d '-1 minute' "$pc/main.cf" "$pc/master.cf" "$pc/vmailbox"
}

start_postfix() {
  # master -w: returns once the real master (which setsid()s) has initialised.
  MAIL_CONFIG=$DIR/postfix "$POSTFIX_SBIN/master" -c "$DIR/postfix" -w \
    </dev/null >>"$DIR/logs/start.log" 2>&1 ||
    die "postfix master failed to start (see $DIR/logs/)"
}

# wait_ports PORT...: every port accepts connections on 127.0.0.1.
wait_ports() {
  local p _
  for p in "$@"; do
    for _ in $(seq 1 300); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then continue 2; fi
      sleep 0.01
    done
    die "nothing listens on 127.0.0.1:$p (see $DIR/logs/)"
  done
}

cmd_up() {
  DIR=$1 BASE=$2
  case "$BASE" in ''|*[!0-9]*) die "BASEPORT must be a number" ;; esac
  if [ "$BASE" -lt 1024 ] || [ "$BASE" -gt 65520 ]; then die "BASEPORT out of range"; fi
  OAUTH_PORT=$((BASE + 12))
  if [ -d "$DIR" ]; then
    if [ -e "$DIR/$MARKER" ]; then
      cmd_down "$DIR"
      find "$DIR" -mindepth 1 -maxdepth 1 ! -name "$MARKER" -exec rm -rf {} +
    elif [ -n "$(ls -A "$DIR")" ]; then
      die "$DIR exists, is not empty and is not a test bed directory"
    fi
  fi
  mkdir -p "$DIR"
  touch "$DIR/$MARKER"
  chmod 755 "$DIR"
  mkdir -p "$DIR/logs" "$DIR/run" "$DIR/remote" "$DIR/office"
  chmod 755 "$DIR/logs" "$DIR/run" "$DIR/remote" "$DIR/office"

  ensure_mail_user
  make_certs "$DIR" &
  local certs_pid=$!

  # Remote boxes (Dovecot) and their passwords. carol's is hostile on
  # purpose: non-ASCII UTF-8, quotes, backslash, braces, > 63 bytes.
  declare -A PW=(
    [alice]='alice-Secret-1'
    [bob]='bob-Secret-2'
    [carol]='c"a\r{o}l'"'"'s pässwörd € 日本 \\ {PLAIN} "quoted" — longer than sixty-three bytes!'
    [catchall]='catchall-Secret-4'
  )
  local u
  : >"$DIR/users.passwd"
  for u in "${REMOTE_USERS[@]}"; do
    printf '%s:{PLAIN}%s::::::\n' "$u" "${PW[$u]}" >>"$DIR/users.passwd"
    mkdir -p "$DIR/remote/$u/Maildir/new" "$DIR/remote/$u/Maildir/cur" "$DIR/remote/$u/Maildir/tmp"
  done
  chown -R "$MAIL_UID:$MAIL_GID" "$DIR/remote"
  chmod 640 "$DIR/users.passwd"
  chown root:dovecot "$DIR/users.passwd"
  for u in "${OFFICE_USERS[@]}"; do
    mkdir -p "$DIR/office/$u/Maildir/new" "$DIR/office/$u/Maildir/cur" "$DIR/office/$u/Maildir/tmp"
  done
  chown -R "$MAIL_UID:$MAIL_GID" "$DIR/office"

  write_dovecot_conf "$DIR/dovecot" "mpbed$BASE" dovecot "$DIR/certs/server.pem" "$DIR/certs/server.key" \
    "$BASE" $((BASE + 1)) $((BASE + 2)) $((BASE + 3)) yes yes
  # The second instance serves only its implicit-TLS listeners (port 0 = off).
  write_dovecot_conf "$DIR/dovecot-ss" "mpbed$BASE-ss" dovecot-selfsigned "$DIR/certs/selfsigned.pem" "$DIR/certs/selfsigned.key" \
    0 $((BASE + 4)) 0 $((BASE + 5)) no no yes
  write_postfix_conf

  wait "$certs_pid" || die "certificate generation failed"
  SELFSIGNED_SHA256=$(sha256_of "$DIR/certs/selfsigned.pem")
  SERVER_SHA256=$(sha256_of "$DIR/certs/server.pem")
  # From here on, a failure must not leave servers behind.
  trap 'rc=$?; if [ $rc -ne 0 ]; then cmd_down "$DIR" || true; fi' EXIT
  start_dovecot "$DIR/dovecot/dovecot.conf" &
  local d1=$!
  start_dovecot "$DIR/dovecot-ss/dovecot.conf" &
  local d2=$!
  start_postfix &
  local p1=$!
  start_oauth  # ~0.1 s, while the daemons start
  local rc=0
  wait $d1 || rc=1
  wait $d2 || rc=1
  wait $p1 || rc=1
  [ $rc -eq 0 ] || die "a server failed to start (see $DIR/logs/)"
  wait_ports "$BASE" $((BASE + 1)) $((BASE + 2)) $((BASE + 3)) $((BASE + 4)) $((BASE + 5)) \
    $((BASE + 10)) $((BASE + 11)) "$OAUTH_PORT"
  # Postfix's SASL goes through Dovecot's auth socket.
  [ -S "$DIR/run/auth-postfix" ] || die "no Dovecot auth socket for Postfix"

  local env=$DIR/bed.env.tmp
  {
    echo "# MailPorter test bed, generated by tests/bed/testbed.sh up"
    echo "BED_DIR=$(q "$DIR")"
    echo "BASE_PORT=$BASE"
    echo "HOST=127.0.0.1"
    echo "TLS_HOSTNAME=localhost"
    echo "POP3_PORT=$BASE"
    echo "POP3S_PORT=$((BASE + 1))"
    echo "IMAP_PORT=$((BASE + 2))"
    echo "IMAPS_PORT=$((BASE + 3))"
    echo "POP3S_SELFSIGNED_PORT=$((BASE + 4))"
    echo "IMAPS_SELFSIGNED_PORT=$((BASE + 5))"
    echo "PREFIXED_DOVECOT_CONF=$(q "$DIR/dovecot-ss/dovecot.conf")"
    echo "SMTP_PORT=$((BASE + 10))"
    echo "SUBMISSION_PORT=$((BASE + 11))"
    oauth_env
    echo "CA_FILE=$(q "$DIR/ca.pem")"
    echo "SERVER_CERT=$(q "$DIR/certs/server.pem")"
    echo "SERVER_SHA256=$SERVER_SHA256"
    echo "SELFSIGNED_CERT=$(q "$DIR/certs/selfsigned.pem")"
    echo "SELFSIGNED_SHA256=$SELFSIGNED_SHA256"
    echo "REMOTE_USERS=$(q "${REMOTE_USERS[*]}")"
    for u in "${REMOTE_USERS[@]}"; do
      echo "PASSWORD_$(printf '%s' "$u" | tr '[:lower:]' '[:upper:]')=$(q "${PW[$u]}")"
    done
    echo "HOSTILE_USER=carol"
    echo "REMOTE_MAILDIR_ROOT=$(q "$DIR/remote")"
    echo "MAIL_UID=$MAIL_UID"
    echo "MAIL_GID=$MAIL_GID"
    echo "OFFICE_DOMAIN=$OFFICE_DOMAIN"
    echo "OFFICE_USERS=$(q "${OFFICE_USERS[*]}")"
    echo "OFFICE_MAILDIR_ROOT=$(q "$DIR/office")"
    echo "OFFICE_SIZE_LIMIT=$OFFICE_SIZE_LIMIT"
    echo "LOG_DIR=$(q "$DIR/logs")"
  } >"$env"
  mv "$env" "$DIR/bed.env"
  touch "$DIR/bed.up"
  trap - EXIT
}

# Scale tests and benchmarks: N more remote users, cheaply (one passwd-file
# line and one Maildir each). Idempotent for users that exist already.
cmd_add_users() {
  local dir=$1 n=$2 i u
  case "$n" in ''|*[!0-9]*) die "N must be a number" ;; esac
  [ -e "$dir/$MARKER" ] || die "$dir is not a test bed directory (no $MARKER)"
  ensure_mail_user
  local tmp="$dir/users.passwd.tmp"
  cp "$dir/users.passwd" "$tmp"
  for i in $(seq 1 "$n"); do
    u=bulk$i
    grep -q "^$u:" "$tmp" || printf '%s:{PLAIN}%s::::::\n' "$u" "bulk-Secret-$i" >>"$tmp"
    mkdir -p "$dir/remote/$u/Maildir/new" "$dir/remote/$u/Maildir/cur" "$dir/remote/$u/Maildir/tmp"
    chown -R "$MAIL_UID:$MAIL_GID" "$dir/remote/$u"
  done
  chmod 640 "$tmp"
  chown root:dovecot "$tmp"
  mv "$tmp" "$dir/users.passwd"
}

[ $# -ge 1 ] || usage
case "$1" in
  up)
    [ $# -eq 3 ] || usage
    [ "$(id -u)" -eq 0 ] || die "must run as root (Dovecot and Postfix switch users)"
    cmd_up "$(abspath "$2")" "$3"
    ;;
  down)
    [ $# -eq 2 ] || usage
    cmd_down "$(abspath "$2")"
    ;;
  status)
    [ $# -eq 2 ] || usage
    cmd_status "$(abspath "$2")"
    ;;
  add-users)
    [ $# -eq 3 ] || usage
    [ "$(id -u)" -eq 0 ] || die "must run as root"
    cmd_add_users "$(abspath "$2")" "$3"
    ;;
  *) usage ;;
esac
