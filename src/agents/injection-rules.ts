/**
 * Phrase rules added for issue 14: authority and approval claims, and the canonical injection phrasings in
 * German, French, Spanish, Portuguese, Chinese and Japanese ("ignore previous instructions", "you are now",
 * "approve", "run", "disregard the rules"). They run on lower-cased text with Latin accents dropped
 * ("précédentes" → "precedentes"); `words` rules also see `_` and `-` as spaces. Pure data.
 */
import type { InjectionSignal } from './injection-detector.ts';

export type Rule = { signal: InjectionSignal; on: 'text' | 'words'; re: RegExp };

const BOSS =
  '(ciso|cto|ceo|cio|cfo|vp( of)?( \\w+)?|director( of \\w+)?|head of \\w+|security (team|lead|officer)|incident commander|management|leadership|sre (lead|manager|team)|platform (lead|team)|administrator|admin)';

export const NEW_RULES: Rule[] = [
  // Authority claims: "As the security team lead I authorise…", "per the CISO's approval", "on behalf of the CTO".
  {
    signal: 'authority_claim',
    on: 'words',
    re: new RegExp(
      [
        "\\bas (the|your|an?) ([\\w']+ ){0,3}(lead|manager|director|head|owner|officer|ciso|cto|ceo|vp|admin|administrator|commander)\\b[^.\\n]{0,40}?\\bi (hereby )?(authori[sz]e|approve|permit|order|instruct|grant|allow|sign off)",
        `\\b(per|with|under|by|at) (the )?${BOSS}('s|s'|s)? (explicit |written |verbal )?(approval|authori[sz]ation|sign ?off|orders?|instructions?|mandate|request|direction)\\b`,
        `\\b(by order of|on (the )?orders? of|on behalf of|at the request of|authori[sz]ed by|approved by|signed off by|cleared by) (the |our |your )?${BOSS}\\b`,
        `\\b${BOSS} (has|have) (already )?(authori[sz]ed|approved|signed off|ordered|cleared|mandated)\\b`,
        '\\bi am (the|an|your) (admin|administrator|ciso|cto|security (lead|officer)|incident commander|owner of (this|the) (system|agent|cluster))\\b',
        '\\bi have (admin|root|administrator|full) (rights|access|privileges|authority)\\b',
      ].join('|'),
    ),
  },
  // Approval claims: "this change is pre-approved", "approved by SRE", "consider it approved".
  {
    signal: 'approval_claim',
    on: 'words',
    re: /\bthis (change|action|rollback|restart|deploy(ment)?|operation|request|step|fix|proposal|scale up|scale down)( \w+){0,2} (is|has been|was|are) (already )?(pre ?)?(approved|authori[sz]ed|cleared|signed off|green ?lit)\b|\b(is|was|been|are|already) (pre ?)?approved by (the )?(sre|security|ops|platform|on ?call|infra(structure)?)( team| lead| manager| on ?call)?\b|\b(consider|treat|mark) (it|this|them|that|the \w+) (as )?(already )?(pre ?)?(approved|authori[sz]ed|signed off)\b|\bapproval (has |is |was )?(already )?(been )?(granted|given|obtained)\b|\b(already|been) signed off\b|\bapproval (step )?(is |has been )?(waived|not needed|unnecessary)\b/,
  },
  // German.
  {
    signal: 'ignore_instructions',
    on: 'words',
    re: /\b(ignorier(e|en|t)?|vergiss|vergessen sie|missachte|missachten sie|ubergehe|ubergehen sie|setze|setzen sie)\b[^.\n]{0,60}?\b(anweisungen|instruktionen|regeln|richtlinien|befehle|vorgaben|systemprompt)\b/,
  },
  {
    signal: 'addressed_to_agent',
    on: 'words',
    re: /\b(du bist|sie sind|ihr seid) (jetzt|nun|ab sofort|ab jetzt) (ein|eine|der|die|das|im|in|admin|administrator|root|autonom|freigeschaltet|berechtigt)\b/,
  },
  {
    signal: 'approval_request',
    on: 'words',
    re: /\b(genehmige|genehmigen sie|bestatige|bestatigen sie)\b[^.\n]{0,40}?\b(selbst|sofort|direkt|eigenstandig)\b|\bohne (genehmigung|freigabe|bestatigung|prufung|zustimmung)\b/,
  },
  {
    signal: 'tool_request',
    on: 'words',
    re: /\b(fuhre|fuhren sie|starte|starten sie)\b[^.\n]{0,60}?\b(sofort|umgehend|jetzt sofort|unverzuglich)\b/,
  },
  // French.
  {
    signal: 'ignore_instructions',
    on: 'words',
    re: /\b(ignore|ignorez|oublie|oubliez|ne tiens pas compte|ne tenez pas compte|fais abstraction|faites abstraction|passe outre|passez outre)\b[^.\n]{0,60}?\b(instructions?|consignes?|regles?|directives?|politiques?|charte)\b/,
  },
  { signal: 'addressed_to_agent', on: 'words', re: /\b(tu es|vous etes) (maintenant|desormais|a present)\b/ },
  {
    signal: 'approval_request',
    on: 'words',
    re: /\b(approuve|approuvez|valide|validez)\b[^.\n]{0,40}?\b(toi meme|vous meme|immediatement|tout de suite)\b|\bsans (approbation|validation|autorisation|revue|confirmation)\b/,
  },
  {
    signal: 'tool_request',
    on: 'words',
    re: /\b(execute|executez|lance|lancez|redemarre|redemarrez)\b[^.\n]{0,60}?\b(immediatement|tout de suite|sans attendre)\b/,
  },
  // Spanish.
  {
    signal: 'ignore_instructions',
    on: 'words',
    re: /\b(ignora|ignore|ignoren|olvida|olvide|olviden|omite|omita|descarta|descarte|haz caso omiso)\b[^.\n]{0,60}?\b(instrucciones|reglas|indicaciones|directrices|normas|politicas)\b/,
  },
  {
    signal: 'addressed_to_agent',
    on: 'words',
    re: /\b(ahora eres|ahora usted es|a partir de ahora eres|ya eres)\b/,
  },
  {
    signal: 'approval_request',
    on: 'words',
    re: /\b(aprueba|apruebe|aprueben|apruebalo|apruebala)\b[^.\n]{0,40}?\b(tu mismo|usted mismo|ahora mismo|inmediatamente|ya)\b|\bsin (aprobacion|autorizacion|revision|confirmacion)\b/,
  },
  {
    signal: 'tool_request',
    on: 'words',
    re: /\b(ejecuta|ejecute|ejecuten|reinicia|reinicie)\b[^.\n]{0,60}?\b(inmediatamente|ahora mismo|de inmediato|sin esperar)\b/,
  },
  // Portuguese.
  {
    signal: 'ignore_instructions',
    on: 'words',
    re: /\b(ignore|ignora|ignorem|esqueca|esquecam|desconsidere|desconsidera|descarte)\b[^.\n]{0,60}?\b(instrucoes|regras|diretrizes|orientacoes|politicas)\b/,
  },
  {
    signal: 'addressed_to_agent',
    on: 'words',
    re: /\b(agora voce e|voce agora e|a partir de agora voce e|voce e agora)\b/,
  },
  {
    signal: 'approval_request',
    on: 'words',
    re: /\b(aprove|aprova|aprovem)\b[^.\n]{0,40}?\b(voce mesmo|agora mesmo|imediatamente|ja)\b|\bsem (aprovacao|autorizacao|revisao|confirmacao)\b/,
  },
  {
    signal: 'tool_request',
    on: 'words',
    re: /\b(execute|executa|rode|reinicie|reinicia)\b[^.\n]{0,60}?\b(imediatamente|agora mesmo|de imediato|sem esperar)\b/,
  },
  // Chinese (simplified and traditional).
  {
    signal: 'ignore_instructions',
    on: 'text',
    re: /(忽略|无视|無視|忽视|忽視|不要理会|不要理會|不要遵守|不必遵守|违反|違反|绕过|繞過)[^。\n]{0,20}?(指令|指示|说明|說明|规则|規則|提示词|提示詞|命令|要求|设定|設定|章程)/,
  },
  {
    signal: 'addressed_to_agent',
    on: 'text',
    re: /(你现在是|你現在是|从现在起你是|從現在起你是|现在你是|現在你是|从现在开始你是)/,
  },
  {
    signal: 'approval_request',
    on: 'text',
    re: /(自行|自己|直接)(批准|审批|審批|核准)|(无需|無需|不需要|不用|跳过|跳過|绕过|繞過)(审批|審批|批准|核准|人工确认|人工確認)|(批准|核准)(这个|這個|此|该|該)?(请求|請求|操作|变更|變更|回滚|回滾)/,
  },
  {
    signal: 'tool_request',
    on: 'text',
    re: /(立即|马上|立刻|馬上|现在就|現在就)(执行|執行|运行|運行|回滚|回滾|重启|重啟)/,
  },
  // Japanese.
  {
    signal: 'ignore_instructions',
    on: 'text',
    re: /(指示|命令|ルール|規則|指令|プロンプト|設定)[^。\n]{0,10}?(無視|忘れて|従わない|従わず)/,
  },
  { signal: 'addressed_to_agent', on: 'text', re: /(あなたは(今から|これから|今|もう)|今からあなたは)/ },
  {
    signal: 'approval_request',
    on: 'text',
    re: /(承認して|自分で承認|承認なしで|承認を待たずに|承認は不要|承認不要)/,
  },
  {
    signal: 'tool_request',
    on: 'text',
    re: /(すぐに|直ちに|今すぐ|ただちに)[^。\n]{0,20}?(実行|ロールバック|再起動)/,
  },
];
