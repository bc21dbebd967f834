import type { VerifiedClaims } from './jwt';

/** A billing subject: whom Stripe bills (a user, a team, an org, … as the app names them). */
export interface BillingSubject {
  type: string;
  id: string;
}

/** The signed-in end user of a runtime request, as the verified JWT says. */
export interface RuntimeUser {
  /** the JWT `sub` */
  id: string;
  /** subjects the `paywire_subjects` claim lets the user bill ("type:id" strings), besides themself */
  subjects: BillingSubject[];
  /** every verified claim: handed to Postgres as request.jwt.claims for RLS */
  claims: VerifiedClaims;
}
