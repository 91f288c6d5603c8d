#!/usr/bin/env bash
# Prints the test directory's entries (LDIF for slapadd): the company acme.test with
# 200 people in two OUs and one contractor outside the company's email domain.
#   ou=Engineering,ou=People: person001..person120, l "Acme HQ, Springfield"
#   ou=Sales,ou=People:       person121..person200, l "Acme Lab, Shelbyville"
#   person001 and person121 are members of cn=visitor-admins,ou=Groups (memberOf);
#   person200 is disabled (userAccountControl 514: bit 2, ACCOUNTDISABLE);
#   contractor01 has a partner.test email (the sync must refuse it: not a verified domain).
# The sync account's password hash is left as @SYNC_PASSWORD_HASH@ for start.sh to fill in.
set -euo pipefail
base="dc=acme,dc=test"
admins="cn=visitor-admins,ou=Groups,$base"
given=(Ada Ben Cleo Dev Emma Finn Gia Hugo Iris Jon Kai Lena Milo Nora Omar Pia Quinn Rosa Sam Tara)
family=(Abbott Baker Carter Diaz Evans Foster Garcia Hughes Ito Jensen)

cat <<LDIF
dn: $base
objectClass: dcObject
objectClass: organization
dc: acme
o: Acme Corp

dn: ou=People,$base
objectClass: organizationalUnit
ou: People

dn: ou=Engineering,ou=People,$base
objectClass: organizationalUnit
ou: Engineering

dn: ou=Sales,ou=People,$base
objectClass: organizationalUnit
ou: Sales

dn: ou=Services,$base
objectClass: organizationalUnit
ou: Services

dn: cn=visitor-sync,ou=Services,$base
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: visitor-sync
userPassword: @SYNC_PASSWORD_HASH@

dn: ou=Groups,$base
objectClass: organizationalUnit
ou: Groups

dn: $admins
objectClass: groupOfNames
cn: visitor-admins
member: uid=person001,ou=Engineering,ou=People,$base
member: uid=person121,ou=Sales,ou=People,$base

LDIF

for i in $(seq 1 200); do
  id=$(printf 'person%03d' "$i")
  g=${given[$(((i - 1) % 20))]}
  f=${family[$(((i - 1) / 20))]}
  if [ "$i" -le 120 ]; then ou=Engineering loc="Acme HQ, Springfield"; else ou=Sales loc="Acme Lab, Shelbyville"; fi
  uac=512
  [ "$i" -eq 200 ] && uac=514
  echo "dn: uid=$id,ou=$ou,ou=People,$base"
  echo "objectClass: inetOrgPerson"
  echo "objectClass: adAccountLite"
  echo "uid: $id"
  echo "cn: $g $f"
  echo "givenName: $g"
  echo "sn: $f"
  echo "displayName: $g $f ($ou)"
  echo "mail: $id@acme.test"
  echo "l: $loc"
  echo "userAccountControl: $uac"
  if [ "$i" -eq 1 ] || [ "$i" -eq 121 ]; then echo "memberOf: $admins"; fi
  echo
done

cat <<LDIF
dn: uid=contractor01,ou=Sales,ou=People,$base
objectClass: inetOrgPerson
objectClass: adAccountLite
uid: contractor01
cn: Carl Contractor
givenName: Carl
sn: Contractor
mail: carl@partner.test
l: Acme Lab, Shelbyville
userAccountControl: 512
LDIF
