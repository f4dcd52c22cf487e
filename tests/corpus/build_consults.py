"""Writes the labelled extraction corpus: tests/corpus/consults/NAME.eml + NAME.gold.json.

Every mail here was written for this project (no real patients, no real people; numbers in
signatures are made up). CPT codes are referred to by number only, never by their AMA
descriptors; what a service is, where said, is said in our own plain words.

Gold lines are "SYSTEM CODE [MOD,MOD] [xUNITS]", SYSTEM one of CPT HCPCS ICD PCS.
Run:  python tests/corpus/build_consults.py
"""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.utils import format_datetime
import datetime as dt
from pathlib import Path

OUT = Path(__file__).resolve().parent / "consults"

SIG_A = """--
Dana Whitfield, CPC
Billing Lead, Lakeside Orthopedics
1400 Harbor View Dr, Suite 210
Madison, WI 53703
Phone (608) 555-0142 | Fax 608-555-0143
NPI 1639271845"""

SIG_B = """Thanks,
Marcus Oyelaran
Revenue Cycle | Brightwater Family Medicine
47381 Main St
Canton, MI 48187
o: 734.555.0190  c: 734-555-0117"""

SIG_C = """Best regards,
Priya Natarajan, CCS, CPC
Coding Quality Analyst
St. Brigid Regional Hospital
2250 W 38th Street, Erie, PA 16506
Tel: 814-555-0163 ext. 20610
Group NPI: 1548392017"""

SIG_D = """Thank you!
Lorraine
Front desk / billing
Maple Creek Pediatrics, 99213 Route 9, Plattsburgh NY 12901"""

SIG_E = """Kind regards,
Tom Reyes
Reyes Podiatry Group | 3100 Ocean Blvd, Unit 7 | Long Beach, CA 90803
(562) 555-0184"""


def m(name, subject, body, gold, *, sender="coder@clinic.example", html=None, quoted=None,
      outlook=None, forward=None, in_reply_to=False):
    return dict(name=name, subject=subject, body=body, gold=gold, sender=sender, html=html,
                quoted=quoted, outlook=outlook, forward=forward, in_reply_to=in_reply_to)


MAILS = [
    m("001_basic_25_injection", "Modifier question",
      "Hi,\n\nCan I bill 99214-25 with 20610 on the same day? Dx M17.11.\n\n" + SIG_A,
      ["CPT 99214 25", "CPT 20610", "ICD M17.11"]),
    m("002_space_modifier", "E/M with knee injection",
      "Provider saw an established patient for knee pain and injected the right knee.\n"
      "We coded 99213 25 and 20610 RT, dx M17.11. Is that right or does the E/M bundle?\n\n" + SIG_B,
      ["CPT 99213 25", "CPT 20610 RT", "ICD M17.11"]),
    m("003_mod_word_hyphen", "99214-mod 25?",
      "Our doc wants 99214-mod 25 on every visit with a trigger point injection (20552). "
      "Diagnosis M79.1. Is that defensible?\n\nThanks,\nKaren",
      ["CPT 99214 25", "CPT 20552", "ICD M79.1"]),
    m("004_modifier_59_on", "NCCI edit 20610 and 20550",
      "Hello - we have 20610 and 20550 on the same claim. Should I put modifier 59 on 20550 "
      "or is XS better? Different anatomic sites (knee and shoulder tendon sheath). "
      "Dx M17.12 and M65.311.\n\n" + SIG_C,
      ["CPT 20610", "CPT 20550 59", "ICD M17.12", "ICD M65.311"]),
    m("005_x_modifiers", "XU vs 59",
      "Which is better here: 97140-XU or 97140-59 when billed with 97530? Payer is Medicare. "
      "Dx M54.50.\n\nRegards,\nSam",
      ["CPT 97140 XU,59", "CPT 97530", "ICD M54.50"]),
    m("006_bilateral_50", "bilateral injections",
      "Physician did bilateral L4-L5 facet injections, 64493-50. Medicare wants it on one line with 50, "
      "commercial payer wants 64493-RT and 64493-LT. Which do I use? Dx M47.816\n\n" + SIG_A,
      ["CPT 64493 50,RT,LT", "ICD M47.816"]),
    m("007_repeat_76", "repeat EKG same day",
      "Patient had an EKG in the morning (93000) and a repeat in the afternoon after chest pain recurred. "
      "Do I bill the second one as 93000-76? Dx R07.9.\n\nThanks\nJess",
      ["CPT 93000 76", "ICD R07.9"]),
    m("008_dme_rr", "CPAP rental",
      "For the CPAP we bill E0601-RR monthly with KX after the compliance check. Mask A7030 and "
      "tubing A7037 are purchased. Dx G47.33. Anything missing?\n\n" + SIG_E,
      ["HCPCS E0601 RR", "HCPCS A7030", "HCPCS A7037", "ICD G47.33"]),
    m("009_jz_units", "JZ modifier on single dose vial",
      "We gave J3301 JZ x 4 units (40 mg Kenalog) with 20610. Admin was the joint injection so no 96372. "
      "Correct to add JZ when nothing was wasted?\n\nDx: M17.11\n\n" + SIG_B,
      ["HCPCS J3301 JZ x4", "CPT 20610", "CPT 96372", "ICD M17.11"]),
    m("010_units_styles", "units on injections",
      "Quick one on units:\n- J1030 x 2 units\n- 96372 x3\n- 2 units of J3301\n- J1100, units: 4\n"
      "MUE issue with any of these?\n\n" + SIG_C,
      ["HCPCS J1030 x2", "CPT 96372 x3", "HCPCS J3301 x2", "HCPCS J1100 x4"]),
    m("011_lowercase_nodot_dx", "diabetes and knee",
      "dx codes on the claim were e11.9 and M1711, procedure 20610. The payer rejected the dx. "
      "Is it because the ICD was sent without the dot?\n\nThanks,\nBeth",
      ["ICD E11.9", "ICD M17.11", "CPT 20610"]),
    m("012_seventh_char", "fracture follow up",
      "Fracture care: initial visit coded S72.001A, follow-up visit we used S72.001D with 99213-24 "
      "(patient in the global of 27236). Correct 7th characters?\n\n" + SIG_A,
      ["ICD S72.001A", "ICD S72.001D", "CPT 99213 24", "CPT 27236"]),
    m("013_placeholder_x", "post-op infection",
      "Post-op wound infection after knee replacement: is T81.4XXA still valid or do I need the newer "
      "T81.41XA? Also external cause W19.XXXA for the fall. Procedure was 27447 on 02/03/2025.\n\n" + SIG_C,
      ["ICD T81.4XXA", "ICD T81.41XA", "ICD W19.XXXA", "CPT 27447"]),
    m("014_claim_invoice_room", "denied claim",
      "Claim #20610 for our patient in room 11042 was denied. Invoice 99213 shows the visit 99214 "
      "and the debridement 11042. Why would 11042 deny? Dx L97.412.\n\n" + SIG_B,
      ["CPT 99214", "CPT 11042", "ICD L97.412"]),
    m("015_money_dates", "underpayment",
      "We were paid $20610.00 total on 03/15/2025 at 10:30 for 99215 and 93000; expected $1,240.50. "
      "The allowed amount for 99213 seems wrong. DOS 03/15/2025.\n\nThanks,\nRhonda",
      ["CPT 99215", "CPT 93000", "CPT 99213"]),
    m("016_icd9", "old code crosswalk",
      "Our legacy system still has ICD-9 715.16 and ICD-9 V58.61 on the superbill. What do they map to? "
      "I think M17.11 and Z79.01.\n\n" + SIG_D,
      ["ICD M17.11", "ICD Z79.01"]),
    m("017_version_numbers", "Epic upgrade and 99417",
      "Since the Epic 2024.1 upgrade (build 99417, version 10.2) our prolonged service code 99417 drops "
      "off when billed with 99205. Is 99417 reported per 15 minutes?\n\n" + SIG_C,
      ["CPT 99417", "CPT 99205"]),
    m("018_member_id", "eligibility",
      "Member ID W12345678, group 20610, subscriber ID XJH99214. The patient had 99204 and 36415 and the "
      "plan says 36415 isn't covered. Dx Z00.01.\n\n" + SIG_A,
      ["CPT 99204", "CPT 36415", "ICD Z00.01"]),
    m("019_range", "new patient levels",
      "Do 99202-99205 all need the same documentation elements under the 2021 rules, or only "
      "medical decision making? Same question for 99212-99215.\n\n" + SIG_B,
      ["CPT 99202", "CPT 99205", "CPT 99212", "CPT 99215"]),
    m("020_invalid_deleted", "observation codes",
      "Our chargemaster still has CPT 99219 and 99218 for observation. Should they be replaced with "
      "99221-99223? Dx R07.9\n\n" + SIG_C,
      ["CPT 99219", "CPT 99218", "CPT 99221", "CPT 99223", "ICD R07.9"]),
    m("021_invalid_dx", "dx not accepted",
      "Payer rejected dx E11.99 and M17.19 for 99214. Are those real codes?\n\nThanks,\nAmy",
      ["ICD E11.99", "ICD M17.19", "CPT 99214"]),
    m("022_cat_ii_iii", "quality codes",
      "For the diabetic visit (99214) we add 3074F and 3079F for the BP readings and 3044F for A1c. "
      "Also the doc did 0042T last month - is that still active?\n\n" + SIG_A,
      ["CPT 99214", "CPT 3074F", "CPT 3079F", "CPT 3044F", "CPT 0042T"]),
    m("023_pcs", "inpatient procedure code",
      "Inpatient right total knee: we coded ICD-10-PCS 0SRC0J9 with dx M17.11. The left was 0SRD0J9 on "
      "a later admission. Correct device value?\n\n" + SIG_C,
      ["PCS 0SRC0J9", "PCS 0SRD0J9", "ICD M17.11"]),
    m("024_multi_mods", "multiple modifiers",
      "Is the order right on 20610-59-RT, or should it be 20610-RT-59? Billed with 99213-25.\n\n" + SIG_B,
      ["CPT 20610 59,RT", "CPT 99213 25"]),
    m("025_with_a_25", "with a 25",
      "Can the office visit 99213 go with a 25 when the only other service is 17110? "
      "Warts B07.9.\n\nThank you\nNina",
      ["CPT 99213 25", "CPT 17110", "ICD B07.9"]),
    m("026_mod_after", "-25 modifier",
      "Hi team, we append the -25 modifier to 99214 when we also do 11102. Payer says 99214 -25 modifier "
      "isn't supported by the note. Dx L82.1, D22.5.\n\n" + SIG_E,
      ["CPT 99214 25", "CPT 11102", "ICD L82.1", "ICD D22.5"]),
    m("027_orphan_25", "need a 25?",
      "Established patient seen for diabetes follow up, 99214, and during the visit the doc removed a skin "
      "tag (11200). Do I need modifier 25?\n\nDx E11.65, L91.8\n\n" + SIG_A,
      ["CPT 99214 25", "CPT 11200", "ICD E11.65", "ICD L91.8"]),
    m("028_awv_g_codes", "AWV plus problem visit",
      "Medicare AWV G0439 plus a problem-oriented visit 99213-25 and G2211. Dx Z00.00, I10, E78.5. "
      "Can G2211 go on the same claim as the AWV?\n\n" + SIG_B,
      ["HCPCS G0439", "CPT 99213 25", "HCPCS G2211", "ICD Z00.00", "ICD I10", "ICD E78.5"]),
    m("029_mue_pt", "PT units over MUE?",
      "Therapist billed 97110 x 6 units, 97140 x 2 and 97530 x 2 on one day. Dx M54.50 and M25.561. "
      "Will 97110 hit the MUE?\n\n" + SIG_C,
      ["CPT 97110 x6", "CPT 97140 x2", "CPT 97530 x2", "ICD M54.50", "ICD M25.561"]),
    m("030_global_24", "post-op visit unrelated",
      "Patient is in the 90-day global for 27130 (hip) and came in for an unrelated URI. Bill 99213-24 "
      "with J06.9? DOS 4/22/2025\n\n" + SIG_A,
      ["CPT 27130", "CPT 99213 24", "ICD J06.9"]),
    m("031_decision_57", "decision for surgery",
      "ED consult 99284 led to the decision for surgery, lap chole 47562 same day. Modifier 57 on the "
      "E/M? Dx K80.20.\n\n" + SIG_C,
      ["CPT 99284 57", "CPT 47562", "ICD K80.20"]),
    m("032_colonoscopy", "screening turned diagnostic",
      "Screening colonoscopy turned into polypectomy: 45385 with PT modifier for Medicare and 33 for "
      "commercial. Dx Z12.11, K63.5. Also G0121 was originally scheduled.\n\nThanks,\nJo",
      ["CPT 45385 PT,33", "ICD Z12.11", "ICD K63.5", "HCPCS G0121"]),
    m("033_drug_wastage_jw", "JW wastage",
      "Vial of J9035 is 100 mg, we gave 85 mg: bill J9035 x 9 units and J9035-JW x 1 unit? Infusion "
      "96413. Dx C18.9.\n\n" + SIG_C,
      ["HCPCS J9035 JW x9", "CPT 96413", "ICD C18.9"]),
    m("034_html_table", "Claim lines for review",
      None, ["CPT 99214 25 x1", "CPT 20610 RT x1", "HCPCS J3301 JZ x4", "ICD M17.11"],
      html="""<html><body><p>Hi,</p><p>Please review these lines:</p>
<table border="1"><tr><th>CPT/HCPCS</th><th>Modifier</th><th>Units</th></tr>
<tr><td>99214</td><td>25</td><td>1</td></tr>
<tr><td>20610</td><td>RT</td><td>1</td></tr>
<tr><td>J3301</td><td>JZ</td><td>4</td></tr></table>
<p>Dx: M17.11 &ndash; primary osteoarthritis, right knee.</p>
<p>Thanks,<br>Alicia<br>Phone 608-555-0199</p></body></html>"""),
    m("035_html_list_entities", "Shoulder injection &amp; visit",
      None, ["CPT 99213 25", "CPT 20610 LT", "ICD M75.102"],
      html="""<div>Good&nbsp;morning,</div><div><br></div>
<div>We billed:</div><ul><li>99213&#8209;25</li><li>20610&nbsp;LT</li></ul>
<div>Dx M75.102. Is the &quot;LT&quot; right for a shoulder joint injection &amp; does it bundle?</div>
<div><br></div><div>Thanks &mdash; Kim<br>Westfield Ortho, 2200 Elm Ave, Westfield, NJ 07090</div>"""),
    m("036_reply_quoted_history", "Re: 20610 question",
      "Thanks. Follow-up: what if the injection was 20611 with ultrasound guidance instead? Still 25 on "
      "the E/M?\n\nJanet",
      ["CPT 20611"],
      quoted="On Tue, Mar 4, 2025 at 9:12 AM CaseConsultant <consult@caseconsultant.test> wrote:\n"
             "> You asked about 99214-25 with 20610 and dx M17.11.\n> 20610 and 99214 have a PTP edit with "
             "modifier indicator 1.\n> The 76942 guidance is included in 20611.\n",
      in_reply_to=True),
    m("037_reply_outlook", "RE: denial on 97110",
      "They denied again, now on 97112 too. Should I add modifier GP?\n\n" + SIG_B,
      ["CPT 97112 GP"],
      outlook="From: CaseConsultant <consult@caseconsultant.test>\nSent: Monday, March 3, 2025 4:01 PM\n"
              "To: Marcus Oyelaran <marcus@brightwater.example>\nSubject: RE: denial on 97110\n\n"
              "97110 with 97140-59 on the same day: use XU when the services are distinct. Dx M54.50.\n",
      in_reply_to=True),
    m("038_forward", "Fwd: coding question from Dr. Lee",
      "Forwarding from our physician, can you help?\n",
      ["CPT 99215", "CPT 99417 x2", "ICD I50.9", "ICD N18.30"],
      forward="---------- Forwarded message ---------\nFrom: Dr. Alan Lee <alee@clinic.example>\n"
              "Date: Mon, Mar 10, 2025 at 7:45 AM\nSubject: coding question\nTo: billing@clinic.example\n\n"
              "I spent 85 minutes with a heart failure patient today. Can we bill 99215 plus 99417 x 2? "
              "Dx I50.9, N18.30.\n\nAlan Lee, MD\nNPI 1992847561\n"),
    m("039_signature_heavy", "debridement add-on",
      "Wound clinic: 11042 for the first 20 sq cm and 11045 x 2 for the additional. Dx L97.522, E11.621. "
      "Do we need a modifier on the add-on?\n\n" + SIG_E,
      ["CPT 11042", "CPT 11045 x2", "ICD L97.522", "ICD E11.621"]),
    m("040_nail_debridement", "nail care",
      "Podiatry: 11721 with Q8 modifier and 11055. Dx B35.1, E11.42. Class findings documented. "
      "Can both go on the same day?\n\n" + SIG_E,
      ["CPT 11721 Q8", "CPT 11055", "ICD B35.1", "ICD E11.42"]),
    m("041_vaccine_admin", "flu shot and visit",
      "Flu vaccine 90686 with admin G0008 and a sick visit 99213-25 for Medicare. For commercial we use "
      "90471 instead of G0008. Dx Z23, J02.9.\n\nThanks,\nOlivia",
      ["CPT 90686", "HCPCS G0008", "CPT 99213 25", "CPT 90471", "ICD Z23", "ICD J02.9"]),
    m("042_zip_collisions", "address change and 99213",
      "We moved to 10060 Kingsley Ave, Houston, TX 77072. Nothing else changed. Does the place of service "
      "change anything for 99213 and 10060?\n\n" + SIG_C,
      ["CPT 99213", "CPT 10060"]),
    m("043_phone_npi_only", "callback please",
      "Please call me at 608-555-0142 about the claim. My NPI is 1639271845 and the group TIN 39-1234567. "
      "Question is about 99291 for 74 minutes: do I add 99292?\n\n" + SIG_A,
      ["CPT 99291", "CPT 99292"]),
    m("044_mod_list_before", "modifiers 25 and 59",
      "Would you put modifiers 25 and 59 on 99214 at the same time? I think only 25. The procedure was "
      "96372 with J1885 x 2.\n\n" + SIG_B,
      ["CPT 99214 25,59", "CPT 96372", "HCPCS J1885 x2"]),
    m("045_lt_rt_knee", "both knees",
      "Injected both knees: 20610-RT and 20610-LT, or 20610-50 x1? J7325 single injection, one vial per "
      "knee. Dx M17.0.\n\n" + SIG_A,
      ["CPT 20610 RT,LT,50 x1", "HCPCS J7325", "ICD M17.0"]),
    m("046_xs_shoulder", "XS shoulder and knee",
      "20610 knee and 20610 shoulder same session. I billed 20610 and 20610-XS. Ok or use 59? Dx M17.11, "
      "M75.101.\n\nRegards,\nLena",
      ["CPT 20610 XS", "ICD M17.11", "ICD M75.101"]),
    m("047_xe_separate_encounter", "separate encounter",
      "Patient came back at 4 pm for a second, separate nebulizer treatment. 94640 and 94640-XE? Dx J45.901\n\n"
      + SIG_D,
      ["CPT 94640 XE", "ICD J45.901"]),
    m("048_xp_practitioner", "XP different provider",
      "Two providers in the same group: Dr A did 93306, Dr B interpreted 93000. Do we need XP on 93000? "
      "Dx I48.91\n\n" + SIG_C,
      ["CPT 93306", "CPT 93000 XP", "ICD I48.91"]),
    m("049_gy_ga", "ABN modifiers",
      "Signed ABN on file for the screening EKG: 93000-GA. If it's statutorily excluded we'd use GY "
      "instead. Also G0105 with GZ? Dx Z13.6\n\n" + SIG_B,
      ["CPT 93000 GA", "HCPCS G0105 GZ", "ICD Z13.6"]),
    m("050_telehealth_95", "telehealth visit",
      "Video visit billed 99213-95 with POS 10. Commercial payer wants GT instead: 99213 GT. Dx F41.1, "
      "F32.A.\n\nThanks,\nMeg",
      ["CPT 99213 95,GT", "ICD F41.1", "ICD F32.A"]),
    m("051_units_label", "hydration",
      "Hydration 96360 and 96361 units: 3 plus ondansetron J2405 units 4. Dx R11.2, E86.0.\n\n" + SIG_C,
      ["CPT 96360", "CPT 96361 x3", "HCPCS J2405 x4", "ICD R11.2", "ICD E86.0"]),
    m("052_plain_no_context_numbers", "fax cover / account",
      "Account 99213 balance $245.00. Check number 20610. Our office fax is 608 555 0143. "
      "Separately: is 99213 with 87880 ok for a strep test? Dx J02.0\n\n" + SIG_A,
      ["CPT 99213", "CPT 87880", "ICD J02.0"]),
    m("053_hcpcs_lowercase", "lower case codes",
      "we billed j1885 and j3420 x 1 with 96372 and 99213-25, dx e53.8 and m54.2. ok?\n\nt",
      ["HCPCS J1885", "HCPCS J3420 x1", "CPT 96372", "CPT 99213 25", "ICD E53.8", "ICD M54.2"]),
    m("054_header_code", "header dx",
      "Is M17.1 enough or do I need M17.11? Same with E11 vs E11.9 for 99213.\n\n" + SIG_B,
      ["ICD M17.1", "ICD M17.11", "ICD E11", "ICD E11.9", "CPT 99213"]),
    m("055_time_and_dates", "prolonged",
      "Visit started 09:15 and ended 10:45 on 3/14/2025, 90 minutes total. 99205 plus 99417 x 2? "
      "Or G2212 for Medicare? Dx C50.911.\n\n" + SIG_C,
      ["CPT 99205", "CPT 99417 x2", "HCPCS G2212", "ICD C50.911"]),
    m("056_no_codes", "general question",
      "General question, no codes yet: how do you handle incident-to billing when the supervising "
      "physician is out of the office? Our office is at 20610 Lakeview Pkwy, Suite 300, Tulsa, OK 74133.\n\n"
      + SIG_A,
      []),
    m("057_surgery_assist", "assistant at surgery",
      "Assistant surgeon on 27447: should it be 27447-80 or 27447-82 for a teaching hospital? PA assisted, so maybe 27447-AS. "
      "Dx M17.12\n\n" + SIG_C,
      ["CPT 27447 80,82,AS", "ICD M17.12"]),
    m("058_reduced_52_53", "discontinued procedure",
      "Colonoscopy 45378 stopped for poor prep, 45378-53. Should it have been modifier 52? Dx Z12.11, K64.9\n\n"
      + SIG_B,
      ["CPT 45378 53,52", "ICD Z12.11", "ICD K64.9"]),
    m("059_bare_icd_list", "dx list",
      "Dx list for the visit 99214: I10, E785, E1165, Z794. Does the order matter?\n\n" + SIG_A,
      ["CPT 99214", "ICD I10", "ICD E78.5", "ICD E11.65", "ICD Z79.4"]),
    m("060_pcs_inpatient", "ICD-10-PCS for lap chole",
      "Inpatient lap chole, PCS 0FT44ZZ. Outpatient would be 47562. Dx K80.20. Is 0FT44ZZ the right "
      "approach value?\n\n" + SIG_C,
      ["PCS 0FT44ZZ", "CPT 47562", "ICD K80.20"]),
    m("061_units_in_parens", "infusion units",
      "Infusion 96365, 96366 (2 units), J1200 (1 unit). Dx T78.40XA.\n\n" + SIG_C,
      ["CPT 96365", "CPT 96366 x2", "HCPCS J1200 x1", "ICD T78.40XA"]),
    m("062_e_and_m_hospital", "hospital visits",
      "Admission 99223, then 99232 on day 2 and 99239 discharge. Dx J18.9, I50.9, N17.9.\n\n" + SIG_C,
      ["CPT 99223", "CPT 99232", "CPT 99239", "ICD J18.9", "ICD I50.9", "ICD N17.9"]),
    m("063_mod_on_hcpcs", "ambulance modifiers",
      "Ambulance transport A0427 with mileage A0425 x 12. Dx R07.9, I21.4.\n\n" + SIG_B,
      ["HCPCS A0427", "HCPCS A0425 x12", "ICD R07.9", "ICD I21.4"]),
    m("064_ortho_dme_lr", "brace",
      "Knee brace L1832-RT-KX. Dx M23.211. Also L3908-LT for the wrist.\n\n" + SIG_A,
      ["HCPCS L1832 RT,KX", "ICD M23.211", "HCPCS L3908 LT"]),
    m("065_html_only_reply", "Re: 99213 vs 99214",
      None, ["CPT 99214", "HCPCS G2211"],
      html="""<html><body><div>So if MDM is moderate it's 99214, and we can add G2211?</div>
<div>Thanks!</div><br>
<div class="gmail_quote"><div>On Wed, Mar 5, 2025, CaseConsultant wrote:</div>
<blockquote class="gmail_quote">You asked whether 99213 or 99215 fits. Dx I10, E11.9. Modifier 25 applies only with a procedure such as 20610.</blockquote></div>
</body></html>""", in_reply_to=True),
    m("066_units_word", "two units",
      "We gave two units of J0585 (botox) with 64615. Dx G43.709. Per-unit billing confusion, "
      "MUE question too.\n\n" + SIG_C,
      ["HCPCS J0585 x2", "CPT 64615", "ICD G43.709"]),
    m("067_dx_on_separate_lines", "Codes",
      "Codes billed:\n99214-25\n20610-RT\nJ3301 x 4\n\nDiagnosis:\nM17.11\nE11.9\n\nAny issues?\n\n" + SIG_B,
      ["CPT 99214 25", "CPT 20610 RT", "HCPCS J3301 x4", "ICD M17.11", "ICD E11.9"]),
    m("068_claim_line_list", "denial detail",
      "Claim 12345678, ICN 2225034567890. Line 1: 99213-25. Line 2: 11102. Line 3: 11103 x 2. "
      "Line 3 denied. Dx L82.0.\n\n" + SIG_E,
      ["CPT 99213 25", "CPT 11102", "CPT 11103 x2", "ICD L82.0"]),
    m("069_mod_before_article", "put a 59 on it?",
      "My manager says put a 59 on 97140 whenever it's with 97530. Is that true? Dx M25.511.\n\n" + SIG_B,
      ["CPT 97140 59", "CPT 97530", "ICD M25.511"]),
    m("070_alpha_before", "XU on 97140",
      "Should XU or 59 go on 97140? The therapist documented separate 15 minute blocks. Billed with 97110 x 3. "
      "Dx M54.2\n\nThanks,\nRay",
      ["CPT 97140 XU,59", "CPT 97110 x3", "ICD M54.2"]),
    m("071_street_address_code", "remit address",
      "Send the corrected claim to 47381 Main St, Canton, MI 48187. The corrected line is 99214 instead of "
      "99215. Dx I10.\n\n" + SIG_A,
      ["CPT 99214", "CPT 99215", "ICD I10"]),
    m("072_icd_with_modif_text", "chronic pain",
      "For chronic pain, G89.29 first then M54.50? Visit 99213 and trigger point 20553. Dx also M79.18.\n\n"
      + SIG_C,
      ["ICD G89.29", "ICD M54.50", "CPT 99213", "CPT 20553", "ICD M79.18"]),
    m("073_ob_global", "OB global",
      "Global OB 59400, but patient transferred care at 30 weeks. Bill 59426 or E/M 99213s? Dx Z34.83, "
      "O09.523.\n\n" + SIG_B,
      ["CPT 59400", "CPT 59426", "CPT 99213", "ICD Z34.83", "ICD O09.523"]),
    m("074_inline_reply", "Re: follow up on 17000",
      "See my answers inline.\n\n> Did you bill 17000 with 17003?\nYes, 17000 and 17003 x 13.\n\n"
      "> What was the dx?\nL57.0\n\nLinda",
      ["CPT 17000", "CPT 17003 x13", "ICD L57.0"], in_reply_to=True),
    m("075_percent_and_mg", "dose",
      "Gave 80 mg methylprednisolone J1040 x 1 and ketorolac J1885 x 2 (30 mg). Admin 96372 x 2. "
      "Is 25% reduction applied to 96372? Dx M54.16.\n\n" + SIG_D,
      ["HCPCS J1040 x1", "HCPCS J1885 x2", "CPT 96372 x2", "ICD M54.16"]),
    m("076_forward_outlook", "FW: 99497 advance care planning",
      "See below from Dr. Patel.\n\nTom",
      ["CPT 99497", "CPT 99498", "CPT 99214 25", "ICD Z71.89"],
      forward="-----Original Message-----\nFrom: Patel, Nisha <npatel@clinic.example>\n"
              "Sent: Friday, March 7, 2025 2:14 PM\nTo: Billing <billing@clinic.example>\n"
              "Subject: 99497 advance care planning\n\nIf I do ACP for 45 minutes during a 99214, "
              "is it 99497 plus 99498 and 99214-25? Dx Z71.89.\n"),
    m("077_e_m_plus_g0444", "depression screening",
      "Annual wellness with G0444 depression screen and G0442 alcohol screen. Patient also got 99213-25 "
      "for new back pain M54.50.\n\n" + SIG_B,
      ["HCPCS G0444", "HCPCS G0442", "CPT 99213 25", "ICD M54.50"]),
    m("078_spine_xs", "spine injections",
      "64483 RT and 64484 RT at two levels, plus 77003? Dx M54.16. Payer denied 77003.\n\n" + SIG_C,
      ["CPT 64483 RT", "CPT 64484 RT", "CPT 77003", "ICD M54.16"]),
    m("079_version_and_phone", "software question",
      "Kareo v4.5.12 won't let us enter 99213-25 with 11200. Support line 1-800-555-0199 ext 4402 "
      "said it's a payer rule. Dx L91.8.\n\n" + SIG_E,
      ["CPT 99213 25", "CPT 11200", "ICD L91.8"]),
    m("080_numbers_everywhere", "end of month",
      "Month-end: 214 claims, 2061 open tickets, total $99,214.55. "
      "Real question: can 36415 be billed with 80053 and 85025 by our lab? Dx Z00.00.\n\n" + SIG_A,
      ["CPT 36415", "CPT 80053", "CPT 85025", "ICD Z00.00"]),
    m("081_cataract", "cataract both eyes",
      "66984-RT on 3/3 and 66984-LT on 3/17 within the global. Do I need modifier 79 on the second? "
      "Dx H25.11, H25.12.\n\n" + SIG_D,
      ["CPT 66984 RT,LT,79", "ICD H25.11", "ICD H25.12"]),
    m("082_mod_79_78", "return to OR",
      "Return to the OR for a hematoma after 27447: 27310 with 78, not 79, right? Dx T81.49XA? or "
      "M96.840. DOS: 2025-02-20\n\n" + SIG_C,
      ["CPT 27447", "CPT 27310 78", "ICD T81.49XA", "ICD M96.840"]),
    m("083_new_patient_question", "New pt visit",
      "New patient, moderate MDM: 99204. Also did an in-office A1c (83036 QW). Dx E11.65, Z79.4.\n\n"
      + SIG_B,
      ["CPT 99204", "CPT 83036 QW", "ICD E11.65", "ICD Z79.4"]),
    m("084_pt_plan_gp", "therapy plan",
      "Therapy eval 97162 GP and 97110 GP x 2 units, dx M25.561 and Z96.651. Do we need KX after the "
      "threshold?\n\n" + SIG_A,
      ["CPT 97162 GP", "CPT 97110 GP x2", "ICD M25.561", "ICD Z96.651"]),
    m("085_mod_paren", "paren style",
      "We bill 99214 (25) and 20605 (LT) with J1100 (2 units). Dx M77.12.\n\n" + SIG_E,
      ["CPT 99214 25", "CPT 20605 LT", "HCPCS J1100 x2", "ICD M77.12"]),
    m("086_same_code_twice", "twice",
      "99213 was billed on Monday and again 99213-25 on Tuesday with 20610. Any issue billing 99213 twice "
      "in a week? Dx M17.11\n\n" + SIG_B,
      ["CPT 99213 25", "CPT 20610", "ICD M17.11"]),
    m("087_nodot_upper_7", "fracture",
      "Dx S52501A for the wrist, cast 29125. Next visit S52501D. Is the 7th character right?\n\n" + SIG_C,
      ["ICD S52.501A", "CPT 29125", "ICD S52.501D"]),

    m("088_late_modifier_choice", "which modifier",
      "Should 11042 carry 59 or XS when the second wound is on the other leg? Also 97597 was done. "
      "Dx L97.412, L97.422.\n\n" + SIG_E,
      ["CPT 11042 59,XS", "CPT 97597", "ICD L97.412", "ICD L97.422"]),
    m("089_or_should_it_be", "telehealth modifier",
      "Audio-video visit billed 99213-95; or should it be GT for this payer? Dx F43.23. Patient was home.\n\n"
      + SIG_B,
      ["CPT 99213 95,GT", "ICD F43.23"]),
    m("090_plain_pipe_table", "lines",
      "Please check:\n\n| CPT | Mod | Units |\n| 96365 | | 1 |\n| 96366 | | 2 |\n| J1885 | | 2 |\n\n"
      "Dx R10.9\n\n" + SIG_C,
      ["CPT 96365 x1", "CPT 96366 x2", "HCPCS J1885 x2", "ICD R10.9"]),
    m("091_html_outlook_reply", "RE: 97110 denial",
      None, ["CPT 97110 GP x3", "CPT 97112 GP"],
      html="""<html><body><p>Follow-up: the payer now wants 97110 GP x 3 and 97112 GP on separate lines. OK?</p>
<p>Marcus</p><hr><p><b>From:</b> CaseConsultant &lt;consult@caseconsultant.test&gt;<br><b>Sent:</b> Monday, March 3, 2025 4:01 PM<br>
<b>Subject:</b> RE: 97110 denial</p><p>97140-59 with 97530 on the same day: use XU. Dx M54.50.</p></body></html>""",
      in_reply_to=True),
    m("092_phone_ext_and_host", "callback",
      "Reach me at 608-555-0142 x 20610 or via portal.lakeside-ortho.example. Question: is 20611 with 76942 "
      "billable together? Dx M17.11.\n\n" + SIG_A,
      ["CPT 20611", "CPT 76942", "ICD M17.11"]),
    m("093_icd9_colon", "conversion",
      "ICD-9: V22.0 and 650 on the old records, ICD-10 equivalents Z34.00 and O80 for the delivery 59400?\n\n"
      + SIG_D,
      ["ICD Z34.00", "ICD O80", "CPT 59400"]),
    m("094_identifiers_glued", "denial reference",
      "Denial ref 2025-20610-A, batch 03-99213. The denied line is 99213-25 with 11102; CARC 97. Dx L82.1.\n\n"
      + SIG_B,
      ["CPT 99213 25", "CPT 11102", "ICD L82.1"]),
    m("095_units_paren_x", "injection units",
      "Kenalog J3301 (x4) with 20610 and Toradol J1885 (x2) with 96372. Dx M17.11, M25.561.\n\n" + SIG_A,
      ["HCPCS J3301 x4", "CPT 20610", "HCPCS J1885 x2", "CPT 96372", "ICD M17.11", "ICD M25.561"]),
    m("096_html_entities_ranges", "E/M levels",
      None, ["CPT 99281", "CPT 99285", "CPT 99291", "ICD R07.9"],
      html="""<p>For the ED we use 99281&ndash;99285 and 99291 for critical care.</p>
<p>Chest pain dx R07.9 &mdash; can 99291 be billed by the ED physician same day as 99285?</p>
<p>Thanks,<br>Priya<br>Tel 814-555-0163</p>"""),
    m("097_forward_with_quotes", "Fwd: modifier on add-on",
      "Can you answer this one from our surgeon?\n",
      ["CPT 22551", "CPT 22552 x2", "ICD M50.122"],
      forward="---------- Forwarded message ---------\nFrom: Dr. Ortiz <ortiz@spine.example>\n"
              "Subject: add-on\n\nFusion 22551 plus 22552 x 2 for the extra levels. Dx M50.122. "
              "Do the add-on lines need a modifier?\n"),
]


def _gold(lines: list[str]) -> list[dict]:
    systems = {"CPT": "CPT", "HCPCS": "HCPCS", "ICD": "ICD10CM", "PCS": "ICD10PCS"}
    out = []
    for line in lines:
        parts = line.split()
        sysname, code = systems[parts[0]], parts[1]
        mods: list[str] = []
        units = None
        for p in parts[2:]:
            if p.startswith("x") and p[1:].isdigit():
                units = int(p[1:])
            else:
                mods = p.split(",")
        if code.startswith("G") and sysname == "CPT":
            sysname = "HCPCS"
        out.append({"system": sysname, "code": code, "modifiers": mods, "units": units})
    return out


def _eml(spec: dict, n: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = spec["sender"]
    msg["To"] = "consult@caseconsultant.test"
    msg["Subject"] = spec["subject"]
    msg["Date"] = format_datetime(dt.datetime(2025, 3, 1, 9, 0, tzinfo=dt.timezone.utc) + dt.timedelta(hours=n))
    msg["Message-ID"] = f"<corpus{n:03d}.{spec['name'][:3]}@clinic.example>"
    if spec["in_reply_to"]:
        msg["In-Reply-To"] = f"<case{n:03d}@caseconsultant.test>"
        msg["References"] = f"<case{n:03d}@caseconsultant.test>"
    if spec["html"] is not None:
        msg.set_content(spec["html"], subtype="html")
        return bytes(msg)
    body = spec["body"]
    if spec["quoted"]:
        body = body + "\n\n" + spec["quoted"]
    if spec["outlook"]:
        body = body + "\n\n________________________________\n" + spec["outlook"]
    if spec["forward"]:
        body = body + "\n" + spec["forward"]
    msg.set_content(body)
    return bytes(msg)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for n, spec in enumerate(MAILS, 1):
        (OUT / f"{spec['name']}.eml").write_bytes(_eml(spec, n))
        (OUT / f"{spec['name']}.gold.json").write_text(json.dumps(_gold(spec["gold"]), indent=1) + "\n")
    print(f"wrote {len(MAILS)} mails to {OUT}")


if __name__ == "__main__":
    main()
